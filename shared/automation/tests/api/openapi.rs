//! The rules' and automation's real answers are the ones their OpenAPI
//! description promises: for each route, a success and the errors a
//! client meets, checked for status, media type and body schema.

use crate::helpers::{Account, Call, Reply, TestEnv};
use opsflow_platform::domain::Role;
use opsflow_platform::testkit::contract::{assert_conforms, document};
use serde_json::{json, Value};

/// Asserts that `reply` to `route` is one the description promises, with
/// the status the test expects.
fn conforms(doc: &Value, route: &str, reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{route}: {}", reply.body);
    assert_conforms(doc, route, reply);
}

fn small_amounts() -> Value {
    json!({
        "name": "Approve small amounts",
        "description": "Under 100, no second look",
        "trigger": "approval.created",
        "conditions": {"all": [
            {"path": "data.amount", "op": "lt", "value": 100},
            {"not": {"path": "data.title", "op": "starts_with", "value": "Travel"}}
        ]},
        "actions": [
            {"type": "set_field", "path": "review.automated", "value": true},
            {"type": "approve", "comment": "Auto-approved: under 100"},
            {"type": "log", "message": "approved by rule"}
        ],
        "priority": 10
    })
}

const NOWHERE: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

#[tokio::test]
async fn rule_answers_match_the_description() {
    let doc = document(opsflow_automation::openapi::doc());
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    let at = |call: Call, id: &str| call.resource_id("api/v1/rules", id);

    let create = |body: Value| Call::new("rules/create").body(body);
    let created = env.call(create(small_amounts()).by(&admin)).await;
    conforms(&doc, "POST /api/v1/rules", &created, 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let refused = env.call(create(small_amounts()).by(&user)).await;
    conforms(&doc, "POST /api/v1/rules", &refused, 403);
    let mut broken = small_amounts();
    broken["actions"][0]["type"] = json!("shout");
    let invalid = env.call(create(broken).by(&admin)).await;
    conforms(&doc, "POST /api/v1/rules", &invalid, 422);
    let text = create(small_amounts()).header("content-type", "text/plain");
    conforms(
        &doc,
        "POST /api/v1/rules",
        &env.call(text.by(&admin)).await,
        415,
    );

    let read = env.call(at(Call::new("rules/get"), &id).by(&admin)).await;
    conforms(&doc, "GET /api/v1/rules/{id}", &read, 200);
    let missing = env
        .call(at(Call::new("rules/get"), NOWHERE).by(&admin))
        .await;
    conforms(&doc, "GET /api/v1/rules/{id}", &missing, 404);

    let patch = |body: Value| at(Call::new("rules/patch"), &id).body(body);
    let changed = env
        .call(patch(json!({"enabled": false, "conditions": null})).by(&admin))
        .await;
    conforms(&doc, "PATCH /api/v1/rules/{id}", &changed, 200);
    let stale = patch(json!({"priority": 5})).header("if-match", "\"1\"");
    conforms(
        &doc,
        "PATCH /api/v1/rules/{id}",
        &env.call(stale.by(&admin)).await,
        412,
    );
    let unknown = env.call(patch(json!({"colour": "red"})).by(&admin)).await;
    conforms(&doc, "PATCH /api/v1/rules/{id}", &unknown, 400);

    let list = |query: &[(&str, &str)]| Call::new("rules/list").query(query);
    let listed = env.call(list(&[("enabled", "false")]).by(&admin)).await;
    conforms(&doc, "GET /api/v1/rules", &listed, 200);
    assert_eq!(listed.body["items"][0]["id"], json!(id));
    let bogus = env.call(list(&[("enabled", "maybe")]).by(&admin)).await;
    conforms(&doc, "GET /api/v1/rules", &bogus, 422);

    let delete = || at(Call::new("rules/delete"), &id);
    conforms(
        &doc,
        "DELETE /api/v1/rules/{id}",
        &env.call(delete().by(&admin)).await,
        204,
    );
    conforms(
        &doc,
        "DELETE /api/v1/rules/{id}",
        &env.call(delete().by(&admin)).await,
        404,
    );
}

async fn file(env: &TestEnv, requester: &Account, workflow: &str) -> String {
    let body = json!({"workflow_id": workflow, "title": "Pens", "amount": 40});
    let call = Call::new("approvals/create").by(requester).body(body);
    env.create(call).await
}

#[tokio::test]
async fn automation_answers_match_the_description() {
    let doc = document(opsflow_automation::openapi::doc());
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let requester = env.account("requester", Role::User).await;
    let workflow = env.active_workflow(&admin, "Purchases").await;
    let rule = Call::new("rules/create").by(&admin).body(small_amounts());
    let rule = env.create(rule).await;
    let execute = |body: Value| Call::new("automation/execute").body(body);
    let on = |approval: &str, dry_run: bool| {
        json!({"entity": "approval", "entity_id": approval,
               "event_type": "approval.created", "dry_run": dry_run})
    };

    let approval = file(&env, &requester, &workflow).await;
    let tried = env.call(execute(on(&approval, true)).by(&admin)).await;
    conforms(&doc, "POST /api/v1/automation/execute", &tried, 200);
    assert_eq!(tried.body["results"][0]["status"], "matched");
    let described = json!({"dry_run": true, "event": {
        "type": "approval.rejected", "entity": "approval", "entity_id": approval,
        "data": {"amount": 5000}, "changes": {"status": ["PENDING", "REJECTED"]}
    }});
    let dry = env.call(execute(described.clone()).by(&admin)).await;
    conforms(&doc, "POST /api/v1/automation/execute", &dry, 200);
    let mut named = described;
    named["rule_id"] = json!(rule);
    let unmatched = env.call(execute(named).by(&admin)).await;
    conforms(&doc, "POST /api/v1/automation/execute", &unmatched, 200);
    assert_eq!(unmatched.body["results"][0]["status"], "not_triggered");
    let ran = env
        .call(
            execute(on(&approval, false))
                .header("idempotency-key", "run-1")
                .by(&admin),
        )
        .await;
    conforms(&doc, "POST /api/v1/automation/execute", &ran, 200);
    assert_eq!(ran.body["results"][0]["status"], "succeeded");
    let refused = env.call(execute(on(&approval, true)).by(&requester)).await;
    conforms(&doc, "POST /api/v1/automation/execute", &refused, 403);
    let neither = env.call(execute(json!({"dry_run": true})).by(&admin)).await;
    conforms(&doc, "POST /api/v1/automation/execute", &neither, 422);

    let runs = |query: &[(&str, &str)]| Call::new("automation/runs").query(query);
    let event = ran.body["event"]["id"].as_str().unwrap();
    let listed = env.call(runs(&[("event_id", event)]).by(&admin)).await;
    conforms(&doc, "GET /api/v1/automation/runs", &listed, 200);
    assert_eq!(listed.body["items"][0]["status"], "succeeded");
    let bogus = env.call(runs(&[("status", "won")]).by(&admin)).await;
    conforms(&doc, "GET /api/v1/automation/runs", &bogus, 422);
    let hidden = env.call(runs(&[]).by(&requester)).await;
    conforms(&doc, "GET /api/v1/automation/runs", &hidden, 403);
}

#[tokio::test]
async fn decision_answers_match_the_description() {
    let doc = document(opsflow_automation::openapi::doc());
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let auditor = env.account("auditor", Role::Auditor).await;
    let rule = json!({"workflow_type": "HIGH_VALUE_TRANSACTION", "outcome": "ESCALATED",
        "conditions": [{"field": "transaction.value", "operator": "gt", "value": 10000}]});
    let create = |body: Value| {
        Call::new("rules/decision-rules-create")
            .by(&admin)
            .body(body)
    };
    let created = env.call(create(rule.clone())).await;
    conforms(&doc, "POST /api/v1/decisionRules", &created, 201);
    let bad = env
        .call(create(json!({"workflow_type": "A", "outcome": "NO"})))
        .await;
    conforms(&doc, "POST /api/v1/decisionRules", &bad, 422);
    let by_auditor = env
        .call(
            Call::new("rules/decision-rules-create")
                .by(&auditor)
                .body(rule),
        )
        .await;
    conforms(&doc, "POST /api/v1/decisionRules", &by_auditor, 403);

    let heads = env
        .call(Call::new("rules/decision-rules-list").by(&auditor))
        .await;
    conforms(&doc, "GET /api/v1/decisionRules", &heads, 200);
    let versions = |kind: &str| {
        Call::new("rules/decision-rules-versions")
            .path_params(&[("workflow_type", kind)])
            .by(&auditor)
    };
    let listed = env.call(versions("high_value_transaction")).await;
    conforms(
        &doc,
        "GET /api/v1/decisionRules/{workflow_type}/versions",
        &listed,
        200,
    );
    let nowhere = env.call(versions("not a type")).await;
    conforms(
        &doc,
        "GET /api/v1/decisionRules/{workflow_type}/versions",
        &nowhere,
        404,
    );

    let route = "PATCH /api/v1/decisionRules/{workflow_type}/versions/{version}";
    let patch = |version: &str, body: Value| {
        Call::new("rules/decision-rules-patch")
            .path_params(&[
                ("workflow_type", "HIGH_VALUE_TRANSACTION"),
                ("version", version),
            ])
            .by(&admin)
            .body(body)
    };
    conforms(
        &doc,
        route,
        &env.call(patch("1", json!({"is_active": true}))).await,
        200,
    );
    conforms(
        &doc,
        route,
        &env.call(patch("2", json!({"is_active": true}))).await,
        404,
    );
    conforms(
        &doc,
        route,
        &env.call(patch("1", json!({"outcome": "X"}))).await,
        400,
    );
    let stale = patch("1", json!({"is_active": false})).header("if-match", "7");
    conforms(&doc, route, &env.call(stale).await, 412);

    let execute = "POST /api/v1/automation/execute";
    let decide = |body: Value| Call::new("automation/execute").by(&admin).body(body);
    let request = json!({"request_id": "REQ-9", "workflow_type": "HIGH_VALUE_TRANSACTION",
        "transaction": {"value": 25000, "currency": "eur"}, "risk_score": 0.2});
    let decided = env.call(decide(request.clone())).await;
    conforms(&doc, execute, &decided, 200);
    assert_eq!(decided.body["status"], "TRIGGERED");
    conforms(&doc, execute, &env.call(decide(request)).await, 200);
    let bad = json!({"request_id": "REQ-10", "workflow_type": "X", "risk_score": 2});
    conforms(&doc, execute, &env.call(decide(bad)).await, 422);
    let unknown = json!({"request_id": "REQ-11", "workflow_type": "X", "channel": "web"});
    conforms(&doc, execute, &env.call(decide(unknown)).await, 400);
}
