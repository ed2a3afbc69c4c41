//! Decision rules and the decision request other approval systems send,
//! on DynamoDB Local: versions (an edit is a new version, the highest
//! active one decides, each decision names its version), every reason
//! code, `neq`, `DUPLICATE_IGNORED` under concurrent repeats of one
//! `request_id`, the run and event each decision leaves, and bad input
//! named by its field.

use crate::helpers::{Account, Call, Reply, TestEnv};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

struct Desk {
    env: TestEnv,
    admin: Account,
}

impl Desk {
    async fn open() -> Self {
        let env = crate::env().await;
        let admin = env.account("admin", Role::Admin).await;
        Self { env, admin }
    }

    async fn write_rule(&self, body: Value) -> Reply {
        let call = Call::new("rules/decision-rules-create").by(&self.admin);
        self.env.call(call.body(body)).await
    }

    /// Writes a rule; its version.
    async fn version(&self, body: Value) -> Value {
        let reply = self.write_rule(body).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body
    }

    async fn activate(&self, kind: &str, version: &str, is_active: bool) -> Reply {
        let call = Call::new("rules/decision-rules-patch")
            .path_params(&[("workflow_type", kind), ("version", version)])
            .by(&self.admin)
            .body(json!({"is_active": is_active}));
        self.env.call(call).await
    }

    async fn versions(&self, kind: &str) -> Reply {
        let call = Call::new("rules/decision-rules-versions")
            .path_params(&[("workflow_type", kind)])
            .by(&self.admin);
        self.env.call(call).await
    }

    async fn decide(&self, body: Value) -> Reply {
        let call = Call::new("automation/execute")
            .by(&self.admin)
            .header("x-correlation-id", "seed-client-7")
            .body(body);
        self.env.call(call).await
    }

    /// Decides `body`; the answer, which must be a 200.
    async fn answer(&self, body: Value) -> Value {
        let reply = self.decide(body).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }
}

/// The seed's example request, under `request_id`.
fn request(request_id: &str) -> Value {
    json!({
        "request_id": request_id,
        "workflow_id": "01890a5d-ac96-774b-bcce-b302099a8057",
        "workflow_type": "HIGH_VALUE_TRANSACTION",
        "transaction": {"value": 25000, "currency": "EUR"},
        "risk_score": 0.82,
        "priority": "HIGH",
        "source_system": "ERP",
        "created_at": "2026-12-05T09:15:02Z",
    })
}

fn high_value(outcome: &str, over: u32) -> Value {
    json!({
        "workflow_type": "high_value_transaction",
        "conditions": [
            {"field": "transaction.value", "operator": "gt", "value": over},
            {"field": "risk_score", "operator": "gte", "value": 0.7},
            {"field": "priority", "operator": "neq", "value": "LOW"},
        ],
        "outcome": outcome,
    })
}

#[tokio::test]
async fn an_edit_is_a_new_version_and_the_highest_active_one_decides() {
    let desk = Desk::open().await;
    let first = desk.version(high_value("ESCALATED", 10_000)).await;
    assert_eq!(first["version"], 1);
    assert_eq!(first["workflow_type"], "HIGH_VALUE_TRANSACTION");
    assert_eq!(first["conditions"][2]["operator"], "neq");
    let second = desk.version(high_value("REJECTED", 20_000)).await;
    assert_eq!(second["version"], 2);
    let listed = desk.versions("HIGH_VALUE_TRANSACTION").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let versions: Vec<&Value> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["version"])
        .collect();
    assert_eq!(versions, [&json!(2), &json!(1)]);

    let decided = desk.answer(request("REQ-1")).await;
    assert_eq!(decided["status"], "TRIGGERED", "{decided}");
    assert_eq!(decided["outcome"], "REJECTED");
    assert_eq!(decided["rule_version"], 2);
    assert_eq!(decided["reason"], "RULE_PASSED");

    // Version 2 off: version 1 decides again; both off: no active rule.
    let off = desk.activate("high_value_transaction", "2", false).await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(off.body["is_active"], false);
    assert_eq!(off.body["revision"], 2);
    let decided = desk.answer(request("REQ-2")).await;
    assert_eq!(
        (&decided["outcome"], &decided["rule_version"]),
        (&json!("ESCALATED"), &json!(1))
    );
    assert_eq!(
        desk.activate("HIGH_VALUE_TRANSACTION", "1", false)
            .await
            .status,
        200
    );
    let none = desk.answer(request("REQ-3")).await;
    assert_eq!(none["status"], "SKIPPED");
    assert_eq!(none["reason"], "NO_ACTIVE_RULE");
    assert_eq!(
        (&none["outcome"], &none["rule_version"]),
        (&Value::Null, &Value::Null)
    );

    // A version's content never changes: only is_active does.
    let call = Call::new("rules/decision-rules-patch")
        .path_params(&[
            ("workflow_type", "HIGH_VALUE_TRANSACTION"),
            ("version", "1"),
        ])
        .by(&desk.admin)
        .body(json!({"outcome": "APPROVED"}));
    desk.env.call(call).await.assert_problem(400, "outcome");
    assert_eq!(
        desk.activate("HIGH_VALUE_TRANSACTION", "9", true)
            .await
            .status,
        404
    );
    let stale = Call::new("rules/decision-rules-patch")
        .path_params(&[
            ("workflow_type", "HIGH_VALUE_TRANSACTION"),
            ("version", "1"),
        ])
        .by(&desk.admin)
        .header("if-match", "1")
        .body(json!({"is_active": true}));
    assert_eq!(desk.env.call(stale).await.status, 412);

    // Every version and decision was an audited event.
    let created = desk.env.events_of_type("decision_rule.created").await;
    assert_eq!(created.len(), 2);
    assert_eq!(
        desk.env.events_of_type("decision_rule.updated").await.len(),
        2
    );
    assert_eq!(desk.env.events_of_type("automation.decided").await.len(), 3);
}

#[tokio::test]
async fn an_active_version_under_many_inactive_ones_still_decides() {
    let desk = Desk::open().await;
    desk.version(high_value("APPROVED", 10_000)).await;
    for _ in 0..20 {
        let mut draft = high_value("REJECTED", 10_000);
        draft["is_active"] = json!(false);
        desk.version(draft).await;
    }
    let decided = desk.answer(request("REQ-DEEP")).await;
    assert_eq!(decided["rule_version"], 1, "{decided}");
    assert_eq!(decided["outcome"], "APPROVED");
}

#[tokio::test]
async fn every_reason_code_is_answered_in_the_seeds_shape() {
    let desk = Desk::open().await;
    desk.version(high_value("ESCALATED", 10_000)).await;

    let reply = desk.decide(request("REQ-PASS")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("x-correlation-id"), Some("seed-client-7"));
    let passed = reply.body;
    for field in [
        "status",
        "task_id",
        "reason",
        "outcome",
        "rule_version",
        "correlation_id",
    ] {
        assert!(passed.get(field).is_some(), "{field}: {passed}");
    }
    assert_eq!(passed["status"], "TRIGGERED");
    assert_eq!(passed["outcome"], "ESCALATED");
    assert_eq!(passed["correlation_id"], "seed-client-7");

    let mut missing = request("REQ-MISSING");
    missing.as_object_mut().unwrap().remove("risk_score");
    let answer = desk.answer(missing).await;
    assert_eq!(answer["status"], "SKIPPED");
    assert_eq!(answer["reason"], "MISSING_FIELD:risk_score");
    assert_eq!(answer["outcome"], Value::Null);
    assert_eq!(answer["rule_version"], 1);

    let mut small = request("REQ-SMALL");
    small["transaction"]["value"] = json!(9_999.99);
    let answer = desk.answer(small).await;
    assert_eq!(answer["reason"], "RULE_FAILED:transaction.value");

    // neq: a LOW priority fails the third condition.
    let mut low = request("REQ-LOW");
    low["priority"] = json!("low");
    assert_eq!(desk.answer(low).await["reason"], "RULE_FAILED:priority");

    let mut other = request("REQ-OTHER");
    other["workflow_type"] = json!("PURCHASE_REQUEST");
    assert_eq!(desk.answer(other).await["reason"], "NO_ACTIVE_RULE");

    // The decision that ran a rule left a run naming the version's id.
    let runs = desk
        .env
        .call(
            Call::new("automation/runs")
                .by(&desk.admin)
                .query(&[("status", "succeeded")]),
        )
        .await;
    assert_eq!(runs.status, 200, "{}", runs.body);
    assert_eq!(
        runs.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        runs.body
    );
    assert_eq!(runs.body["items"][0]["event_type"], "automation.decided");
}

#[tokio::test]
async fn concurrent_repeats_of_one_request_id_are_decided_once() {
    let desk = Desk::open().await;
    desk.version(high_value("APPROVED", 10_000)).await;
    let answers =
        futures::future::join_all((0..12).map(|_| desk.answer(request("REQ-RACE")))).await;
    let first: Vec<&Value> = answers
        .iter()
        .filter(|a| a["reason"] != "DUPLICATE_IGNORED")
        .collect();
    assert_eq!(first.len(), 1, "{answers:?}");
    for answer in &answers {
        assert_eq!(answer["task_id"], first[0]["task_id"]);
        assert_eq!(answer["outcome"], "APPROVED");
        assert_eq!(answer["rule_version"], 1);
    }
    let again = desk.answer(request("REQ-RACE")).await;
    assert_eq!(again["reason"], "DUPLICATE_IGNORED");
    assert_eq!(again["status"], "SKIPPED");
    assert_eq!(desk.env.events_of_type("automation.decided").await.len(), 1);
}

#[tokio::test]
async fn bad_input_on_every_field_is_named() {
    let desk = Desk::open().await;
    for (change, field) in [
        (json!({"request_id": " "}), "request_id"),
        (json!({"workflow_id": "wf-1"}), "workflow_id"),
        (json!({"workflow_type": "9LIVES"}), "workflow_type"),
        (
            json!({"transaction": {"value": 0, "currency": "EUR"}}),
            "transaction.value",
        ),
        (
            json!({"transaction": {"value": 5, "currency": "EURO"}}),
            "transaction.currency",
        ),
        (json!({"risk_score": 1.5}), "risk_score"),
        (json!({"priority": "URGENT"}), "priority"),
        (json!({"source_system": ""}), "source_system"),
        (json!({"created_at": "yesterday"}), "created_at"),
        (json!({"risk_score": "high"}), "risk_score"),
        (json!({"channel": "web"}), "channel"),
    ] {
        let mut body = request("REQ-BAD");
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let reply = desk.decide(body).await;
        assert!(matches!(reply.status, 400 | 422), "{field}: {}", reply.body);
        assert!(
            reply.error_fields().contains(&field),
            "{field}: {}",
            reply.body
        );
    }
    let mut without = request("REQ-BAD");
    without.as_object_mut().unwrap().remove("workflow_type");
    desk.decide(without)
        .await
        .assert_problem(422, "workflow_type");

    for (rule, field) in [
        (
            json!({"workflow_type": "x y", "outcome": "APPROVED"}),
            "workflow_type",
        ),
        (json!({"workflow_type": "A", "outcome": "MAYBE"}), "outcome"),
        (
            json!({"workflow_type": "A", "outcome": "APPROVED",
                   "conditions": [{"field": "risk_score", "operator": "above", "value": 1}]}),
            "conditions[0].operator",
        ),
        (
            json!({"workflow_type": "A", "outcome": "APPROVED",
                   "conditions": [{"field": "risk_score", "operator": "gt", "value": {}}]}),
            "conditions[0].value",
        ),
        (
            json!({"workflow_type": "A", "outcome": "APPROVED", "version": 3}),
            "version",
        ),
    ] {
        let reply = desk.write_rule(rule).await;
        assert!(matches!(reply.status, 400 | 422), "{field}: {}", reply.body);
        assert!(
            reply.error_fields().contains(&field),
            "{field}: {}",
            reply.body
        );
    }
    assert_eq!(desk.versions("not a type").await.status, 404);
}
