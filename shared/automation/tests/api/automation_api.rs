//! The automation API against DynamoDB Local (and moto for the queues):
//! `POST /api/v1/automation/execute` runs rules on demand — or, as a dry
//! run, only evaluates them and writes nothing — and `GET
//! /api/v1/automation/runs` lists what rules did, by rule, event and status.

#![allow(clippy::unwrap_used)]

use crate::helpers::{page_column, Account, Call, TestEnv};
use opsflow_platform::domain::Role;
use opsflow_platform::store::from_item;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A table with an admin, a requester, an active one-step workflow and
/// the rule-writing and filing shortcuts the tests need.
pub(crate) struct Desk {
    pub(crate) env: TestEnv,
    pub(crate) admin: Account,
    pub(crate) requester: Account,
    /// An active one-step workflow of the admin's.
    pub(crate) workflow: String,
}

impl Desk {
    pub(crate) async fn new() -> Self {
        let env = crate::env().await;
        let admin = env.account("admin", Role::Admin).await;
        let requester = env.account("requester", Role::User).await;
        let workflow = env.active_workflow(&admin, "Purchases").await;
        Self {
            env,
            admin,
            requester,
            workflow,
        }
    }

    async fn rule(&self, rule: Value) -> String {
        let call = Call::new("rules/create").by(&self.admin);
        self.env.create(call.body(rule)).await
    }

    async fn file(&self, amount: f64) -> String {
        let call = Call::new("approvals/create").by(&self.requester);
        let body = json!({"workflow_id": self.workflow, "title": "Pens", "amount": amount});
        self.env.create(call.body(body)).await
    }

    async fn approval_status(&self, id: &str) -> Value {
        let reply = self
            .env
            .call(
                Call::new("approvals/get")
                    .resource_id("approvals", id)
                    .by(&self.requester),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["status"].clone()
    }

    fn execute(&self, body: Value) -> Call {
        Call::new("automation/execute").by(&self.admin).body(body)
    }

    /// Sends `POST /automation/execute` with `body` as the admin.
    async fn run(&self, body: Value) -> crate::helpers::Reply {
        self.env.call(self.execute(body)).await
    }

    async fn runs(&self, query: &[(&str, &str)]) -> crate::helpers::Reply {
        self.env
            .call(Call::new("automation/runs").by(&self.admin).query(query))
            .await
    }

    /// Every run a listing holds, read `limit` at a time.
    async fn page_by_page(&self, filter: &[(&str, &str)], limit: &str) -> Value {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = filter.to_vec();
            query.push(("limit", limit));
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor));
            }
            let page = self.runs(&query).await;
            assert_eq!(page.status, 200, "{}", page.body);
            seen.extend(page.body["items"].as_array().unwrap().iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Value::Array(seen),
            }
        }
    }

    /// Every item of the table, as comparable text.
    async fn snapshot(&self) -> BTreeSet<String> {
        self.env
            .all_items()
            .await
            .into_iter()
            .map(|item| from_item::<Value>(item).unwrap().to_string())
            .collect()
    }
}

fn small_amounts() -> Value {
    json!({
        "name": "Approve small amounts",
        "trigger": "approval.created",
        "conditions": {"path": "data.amount", "op": "lt", "value": 100},
        "actions": [{"type": "approve", "comment": "Auto-approved: under 100"}],
        "priority": 10,
    })
}

fn on_approval(id: &str, dry_run: bool) -> Value {
    json!({"entity": "approval", "entity_id": id, "event_type": "approval.created", "dry_run": dry_run})
}

fn statuses(page: &Value) -> Vec<String> {
    page_column(page, "status")
}

#[tokio::test]
async fn a_dry_run_shows_the_trace_and_the_actions_it_would_take_and_changes_nothing() {
    let desk = Desk::new().await;
    let rule = desk.rule(small_amounts()).await;
    let approval = desk.file(12.5).await;
    let before = desk.snapshot().await;

    let reply = desk.run(on_approval(&approval, true)).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["dry_run"], true);
    assert_eq!(reply.body["event"]["entity_id"], approval.as_str());
    assert_eq!(reply.body["event"]["data"]["amount"], 12.5);
    assert_eq!(reply.body["event"]["actor"]["id"], desk.admin.id.as_str());
    let result = &reply.body["results"][0];
    assert_eq!(result["rule_id"], rule.as_str());
    assert_eq!(result["status"], "matched");
    assert_eq!(result["evaluation"]["conditions"]["trace"]["actual"], 12.5);
    assert_eq!(result["evaluation"]["conditions"]["trace"]["result"], true);
    assert_eq!(result["actions"][0]["status"], "would_run");
    assert_eq!(
        result["actions"][0]["action"]["comment"],
        "Auto-approved: under 100"
    );
    assert_eq!(
        desk.snapshot().await,
        before,
        "a dry run wrote to the table"
    );
    assert_eq!(desk.approval_status(&approval).await, "PENDING");
}

#[tokio::test]
async fn a_dry_run_of_a_large_amount_reports_the_failed_condition() {
    let desk = Desk::new().await;
    desk.rule(small_amounts()).await;
    let approval = desk.file(2500.0).await;

    let reply = desk.run(on_approval(&approval, true)).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let result = &reply.body["results"][0];
    assert_eq!(result["status"], "not_matched");
    assert_eq!(
        result["evaluation"]["conditions"]["trace"]["actual"],
        2500.0
    );
    assert_eq!(result["actions"][0]["status"], "not_run");
}

#[tokio::test]
async fn executing_runs_the_enabled_rules_acts_and_records_the_runs() {
    let desk = Desk::new().await;
    let rule = desk.rule(small_amounts()).await;
    let approval = desk.file(40.0).await;

    let reply = desk
        .env
        .call(
            desk.execute(on_approval(&approval, false))
                .header("x-correlation-id", "execute-test-1"),
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let run = &reply.body["results"][0];
    assert_eq!(run["rule_id"], rule.as_str());
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["attempts"], 1);
    assert_eq!(run["actions"][0]["status"], "ok");
    assert_eq!(desk.approval_status(&approval).await, "APPROVED");
    let event_id = reply.body["event"]["id"].as_str().unwrap();
    let listed = desk.runs(&[("event_id", event_id)]).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.body["items"][0]["rule_name"],
        "Approve small amounts"
    );
    assert_eq!(listed.body["items"][0]["correlation_id"], "execute-test-1");
    let events = desk.env.events().await;
    let executed = events
        .iter()
        .find(|e| e["type"] == "automation.executed")
        .expect("an automation.executed event");
    assert_eq!(executed["actor"]["id"], desk.admin.id.as_str());
    assert_eq!(executed["entity_id"], event_id);
    let approved = events
        .iter()
        .find(|e| e["type"] == "approval.approved")
        .expect("an approval.approved event");
    assert_eq!(approved["actor"]["id"], "system");
    assert_eq!(approved["depth"], 1);
    assert_eq!(approved["correlation_id"], "execute-test-1");
}

#[tokio::test]
async fn a_named_rule_runs_though_disabled_and_a_trigger_that_does_not_match_is_reported() {
    let desk = Desk::new().await;
    let disabled = desk
        .rule(json!({
            "name": "Note rejections",
            "trigger": "approval.rejected",
            "conditions": {"path": "data.amount", "op": "gte", "value": 10},
            "actions": [{"type": "log", "message": "a request was rejected"}],
            "enabled": false,
        }))
        .await;
    let approval = desk.file(10.0).await;

    let ran = desk
        .run(json!({"entity": "approval", "entity_id": approval,
            "event_type": "approval.rejected", "rule_id": disabled}))
        .await;
    let other = json!({"type": "approval.approved", "entity": "approval",
        "entity_id": approval, "data": {"amount": 10}});
    let skipped = desk
        .run(json!({"event": other, "rule_id": disabled, "dry_run": true}))
        .await;
    let enabled_only = desk
        .run(json!({"entity": "approval", "entity_id": approval,
            "event_type": "approval.rejected", "dry_run": true}))
        .await;

    assert_eq!(ran.status, 200, "{}", ran.body);
    assert_eq!(ran.body["results"][0]["status"], "succeeded");
    assert_eq!(ran.body["event"]["type"], "approval.rejected");
    assert_eq!(ran.body["event"]["data"]["amount"], 10.0);
    assert_eq!(skipped.status, 200, "{}", skipped.body);
    let result = &skipped.body["results"][0];
    assert_eq!(result["status"], "not_triggered");
    assert_eq!(result["evaluation"]["triggered"], false);
    assert_eq!(result["evaluation"]["conditions"]["matched"], true);
    assert_eq!(enabled_only.body["results"], json!([]));
    let logged = desk.env.events_of_type("automation.logged").await;
    assert_eq!(logged.len(), 1);
}

#[tokio::test]
async fn a_real_run_on_a_described_platform_entity_is_refused_and_a_dry_run_of_it_allowed() {
    let desk = Desk::new().await;
    desk.rule(small_amounts()).await;
    let approval = desk.file(5000.0).await;
    // The caller's account of the approval says 5; the stored one says 5000.
    let event = json!({"type": "approval.created", "entity": "approval",
        "entity_id": approval, "data": {"amount": 5}});

    let real = desk.run(json!({"event": event})).await;
    let dry = desk.run(json!({"event": event, "dry_run": true})).await;
    let own_entity = desk
        .run(json!({"event": {"type": "report.requested",
            "entity": "report", "entity_id": "monthly"}}))
        .await;

    real.assert_problem(422, "event.entity");
    assert_eq!(desk.approval_status(&approval).await, "PENDING");
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(dry.body["results"][0]["status"], "matched");
    assert_eq!(own_entity.status, 200, "{}", own_entity.body);
    assert_eq!(own_entity.body["results"], json!([]));
}

#[tokio::test]
async fn a_real_run_on_a_client_event_is_refused_and_a_dry_run_of_it_allowed() {
    let desk = Desk::new().await;
    desk.rule(json!({
        "name": "Approve what is created with a workflow",
        "trigger": "*.created",
        "conditions": {"all": [{"path": "changes.workflow_id", "op": "exists", "value": true}]},
        "actions": [{"type": "approve", "comment": "Created, so approved"}],
    }))
    .await;
    let approval = desk.file(99_999.0).await;
    let described = json!({"type": "client.created", "entity": "client_report",
        "entity_id": "r-1", "changes": {"workflow_id": [null, desk.workflow]}});
    let named =
        json!({"entity": "approval", "entity_id": approval, "event_type": "client.created"});

    let real_described = desk.run(json!({"event": described})).await;
    let real_named = desk.run(named.clone()).await;
    let mut dry = named;
    dry["dry_run"] = json!(true);
    let dry = desk.run(dry).await;

    real_described.assert_problem(422, "event.type");
    real_named.assert_problem(422, "event_type");
    assert_eq!(desk.approval_status(&approval).await, "PENDING");
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(dry.body["results"][0]["actions"][0]["status"], "not_run");
}

#[tokio::test]
async fn a_failing_action_is_recorded_as_the_runs_failure_at_once() {
    // The test table's webhooks queue does not exist: every send fails.
    let desk = Desk::new().await;
    desk.rule(json!({
        "name": "Tell the finance system",
        "trigger": "approval.*",
        "actions": [{"type": "notify_webhook", "topic": "approvals.filed"}],
    }))
    .await;
    let approval = desk.file(5.0).await;

    let reply = desk.run(on_approval(&approval, false)).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let run = &reply.body["results"][0];
    assert_eq!(run["status"], "failed");
    assert_eq!(run["attempts"], 1);
    let error = run["actions"][0]["error"].as_str().unwrap();
    assert!(error.starts_with("SendMessage failed: "), "{error}");
    // The error's code, never the endpoint or the account behind it.
    assert!(
        !error.contains("127.0.0.1") && !error.contains("123456789012"),
        "{error}"
    );
    let failed = desk.runs(&[("status", "failed")]).await;
    assert_eq!(statuses(&failed.body), ["failed"]);
}

#[tokio::test]
async fn a_retried_execute_with_the_same_idempotency_key_acts_once() {
    let desk = Desk::new().await;
    desk.rule(small_amounts()).await;
    let approval = desk.file(40.0).await;
    let call = desk
        .execute(on_approval(&approval, false))
        .header("idempotency-key", "execute-once-1");

    let first = desk.env.call(call.clone()).await;
    let second = desk.env.call(call).await;

    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.body["event"]["id"], first.body["event"]["id"]);
    let executed = desk.env.events_of_type("automation.executed").await;
    assert_eq!(executed.len(), 1);
}

#[tokio::test]
async fn runs_are_listed_newest_first_by_rule_event_and_status_a_page_at_a_time() {
    let desk = Desk::new().await;
    let small = desk.rule(small_amounts()).await;
    let noted = desk
        .rule(json!({
            "name": "Note every filing",
            "trigger": "approval.created",
            "actions": [{"type": "log", "message": "filed"}],
            "priority": 20,
        }))
        .await;
    let large = desk.file(900.0).await;
    let first = desk.run(on_approval(&large, false)).await;
    let small_one = desk.file(9.0).await;
    let second = desk.run(on_approval(&small_one, false)).await;
    let second_event = second.body["event"]["id"].as_str().unwrap().to_owned();
    assert_eq!(first.status, 200, "{}", first.body);

    let all = desk.runs(&[]).await;
    let of_rule = desk.runs(&[("rule_id", &small)]).await;
    let not_matched = desk.runs(&[("status", "not_matched")]).await;
    let of_event = desk.runs(&[("event_id", &second_event)]).await;
    let of_event_and_rule = desk
        .runs(&[("event_id", &second_event), ("rule_id", &noted)])
        .await;

    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 4);
    // Newest first: the second execution's runs come before the first's.
    assert_eq!(all.body["items"][0]["event_id"], second_event.as_str());
    assert_eq!(statuses(&of_rule.body), ["succeeded", "not_matched"]);
    assert_eq!(statuses(&not_matched.body), ["not_matched"]);
    assert_eq!(not_matched.body["items"][0]["rule_id"], small.as_str());
    assert_eq!(of_event.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        of_event_and_rule.body["items"][0]["rule_id"],
        noted.as_str()
    );
    assert_eq!(of_event_and_rule.body["items"].as_array().unwrap().len(), 1);

    for filter in [
        vec![],
        vec![("event_id", second_event.as_str())],
        vec![("status", "succeeded")],
    ] {
        let whole = desk.runs(&filter).await.body["items"].clone();
        assert_eq!(desk.page_by_page(&filter, "1").await, whole, "{filter:?}");
    }
}

#[tokio::test]
async fn bad_run_filters_are_named() {
    let desk = Desk::new().await;

    let status = desk.runs(&[("status", "done")]).await;
    let rule = desk.runs(&[("rule_id", "r-1")]).await;
    let unknown = desk.runs(&[("rule", "x")]).await;

    status.assert_problem(422, "status");
    rule.assert_problem(422, "rule_id");
    assert_eq!(unknown.status, 400, "{}", unknown.body);
}

#[tokio::test]
async fn an_execute_body_that_is_not_one_event_is_refused_with_each_field() {
    let desk = Desk::new().await;
    let approval = desk.file(5.0).await;
    let event = json!({"type": "approval.created", "entity": "approval", "entity_id": approval});
    let cases = [
        (json!({}), 422, "event"),
        (
            json!({"event": event, "entity": "approval", "entity_id": approval, "event_type": "approval.created"}),
            422,
            "event",
        ),
        (
            json!({"entity": "invoice", "entity_id": approval, "event_type": "invoice.paid"}),
            422,
            "entity",
        ),
        (
            json!({"entity": "approval", "entity_id": approval}),
            422,
            "event_type",
        ),
        (
            json!({"entity": "approval", "entity_id": "01938f4e-7c1a-7b2d-9e3f-4a5b6c7d8e9f", "event_type": "approval.created"}),
            422,
            "entity_id",
        ),
        (
            json!({"event": event, "rule_id": "01938f4e-7c1a-7b2d-9e3f-4a5b6c7d8e9f", "dry_run": true}),
            422,
            "rule_id",
        ),
        (
            json!({"event": {"type": "Approval Created", "entity": "approval", "entity_id": approval}}),
            422,
            "event.type",
        ),
        (
            json!({"event": {"type": "approval.created", "entity": "approval", "entity_id": approval,
                "changes": {"status": "APPROVED"}}}),
            422,
            "event.changes.status",
        ),
    ];
    for (body, status, field) in cases {
        let reply = desk.run(body.clone()).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
        reply.assert_problem(status, field);
    }
    let unknown = desk.run(json!({"event": event, "id": "mine"})).await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
}

#[tokio::test]
async fn an_ended_session_runs_no_rule_and_writes_nothing() {
    let desk = Desk::new().await;
    desk.rule(small_amounts()).await;
    let approval = desk.file(40.0).await;
    let logout = desk
        .env
        .call(Call::new("auth/logout").by(&desk.admin))
        .await;
    assert_eq!(logout.status, 204);
    let before = desk.snapshot().await;

    // A real run would approve the request, record its run and send its
    // event; a new rule would be stored: the ended session does neither.
    let run = desk.run(on_approval(&approval, false)).await;
    assert_eq!(run.status, 401, "{}", run.body);
    let create = Call::new("rules/create").by(&desk.admin);
    let created = desk.env.call(create.body(small_amounts())).await;
    assert_eq!(created.status, 401, "{}", created.body);

    assert_eq!(desk.snapshot().await, before);
    assert_eq!(desk.approval_status(&approval).await, "PENDING");
}
