//! Every route × every kind of caller → the status the caller gets.

mod common;

use common::{Call, TestEnv, PASSWORD};
use opsflow_shared::domain::{EntityId, Role};
use serde_json::json;

const CALLERS: [&str; 5] = ["anonymous", "user", "approver", "owner", "admin"];

/// A route, how to build its request, and the status for each caller.
type Row<'a> = (&'static str, Box<dyn Fn() -> Call + 'a>, [u16; 5]);

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = TestEnv::new().await;
    let user = env.account("user", Role::User).await;
    let approver = env.account("approver", Role::Approver).await;
    let admin = env.account("admin", Role::Admin).await;
    // `owner` is the account the `/users/{id}` routes target; the other
    // callers reach it as somebody else's account.
    let owner = env.account("owner", Role::User).await;
    // Each call signs in afresh: a role change earlier in the table ends the
    // target's sessions, as it should.
    let email = |caller: &str| match caller {
        "user" => Some(user.email.clone()),
        "approver" => Some(approver.email.clone()),
        "admin" => Some(admin.email.clone()),
        "owner" => Some(owner.email.clone()),
        _ => None,
    };

    // A workflow whose one step needs two approvers, a request the owner
    // filed against it, and a draft to delete.
    let admin_token = env.login(&admin.email).await.access;
    let create_workflow = |name: &str| {
        Call::new("workflows/create")
            .token(Some(&admin_token))
            .body(json!({"name": name, "steps": [
                {"approver_role": "approver", "required_approvals": 2}
            ]}))
    };
    let workflow = env.call(create_workflow("Purchases")).await.body["id"]
        .as_str()
        .expect("a workflow id")
        .to_owned();
    let draft = env.call(create_workflow("Draft")).await.body["id"]
        .as_str()
        .expect("a workflow id")
        .to_owned();
    let activated = env
        .call(
            Call::new("workflows/patch")
                .resource_id("workflows", &workflow)
                .token(Some(&admin_token))
                .body(json!({"status": "ACTIVE"})),
        )
        .await;
    assert_eq!(activated.status, 200, "{}", activated.body);
    let filed = env
        .call(
            Call::new("approvals/create")
                .token(Some(&env.login(&owner.email).await.access))
                .body(json!({"workflow_id": workflow, "title": "Chairs"})),
        )
        .await;
    let approval = filed.body["id"]
        .as_str()
        .expect("an approval id")
        .to_owned();

    // A rule to read, change and delete.
    let rule = env
        .call(Call::new("rules/create").token(Some(&admin_token)).body(
            json!({"name": "Note filings", "trigger": "approval.created",
                    "actions": [{"type": "log", "message": "filed"}]}),
        ))
        .await
        .body["id"]
        .as_str()
        .expect("a rule id")
        .to_owned();
    let rule_at = |fixture: &str| Call::new(fixture).resource_id("api/v1/rules", &rule);

    // (route, request, expected per CALLERS). Logout and delete come last:
    // they end sessions and accounts (the admin deactivates the owner last).
    let rows: Vec<Row> = vec![
        (
            "GET /health",
            Box::new(|| Call::new("health/health")),
            [200; 5],
        ),
        (
            "GET /readiness",
            Box::new(|| Call::new("health/readiness")),
            [200; 5],
        ),
        (
            "GET /api/v1/health",
            Box::new(|| Call::new("health/api-v1-health")),
            [200; 5],
        ),
        (
            "POST /auth/register",
            Box::new(|| {
                Call::new("auth/register").body(json!({
                    "email": format!("new-{}@example.com", EntityId::new()),
                    "password": PASSWORD,
                    "name": "New",
                }))
            }),
            [201; 5],
        ),
        (
            "POST /auth/login",
            Box::new(|| {
                Call::new("auth/login").body(json!({"email": owner.email, "password": PASSWORD}))
            }),
            [200; 5],
        ),
        (
            "GET /auth/me",
            Box::new(|| Call::new("auth/me")),
            [401, 200, 200, 200, 200],
        ),
        (
            "GET /users",
            Box::new(|| Call::new("users/list")),
            [401, 403, 403, 403, 200],
        ),
        (
            "GET /users/{id}",
            Box::new(|| Call::new("users/get").id(&owner.id)),
            [401, 404, 404, 200, 200],
        ),
        (
            "PATCH /users/{id} name",
            Box::new(|| {
                Call::new("users/patch")
                    .id(&owner.id)
                    .body(json!({"name": "Renamed"}))
            }),
            [401, 404, 404, 200, 403],
        ),
        (
            "PATCH /users/{id} role",
            Box::new(|| {
                Call::new("users/patch")
                    .id(&owner.id)
                    .body(json!({"role": "approver"}))
            }),
            [401, 404, 404, 403, 200],
        ),
        (
            "GET /workflows",
            Box::new(|| Call::new("workflows/list")),
            [401, 200, 200, 200, 200],
        ),
        (
            "POST /workflows",
            Box::new(|| Call::new("workflows/create").body(json!({"name": "New"}))),
            [401, 403, 403, 403, 201],
        ),
        (
            "GET /workflows/{id} active",
            Box::new(|| Call::new("workflows/get").resource_id("workflows", &workflow)),
            [401, 200, 200, 200, 200],
        ),
        (
            "GET /workflows/{id} draft",
            Box::new(|| Call::new("workflows/get").resource_id("workflows", &draft)),
            [401, 404, 404, 404, 200],
        ),
        (
            "PATCH /workflows/{id}",
            Box::new(|| {
                Call::new("workflows/patch")
                    .resource_id("workflows", &workflow)
                    .body(json!({"description": "Chairs and desks"}))
            }),
            [401, 403, 403, 403, 200],
        ),
        (
            "POST /approvals",
            Box::new(|| {
                Call::new("approvals/create")
                    .body(json!({"workflow_id": workflow, "title": "Lamps"}))
            }),
            [401, 201, 201, 201, 201],
        ),
        (
            "GET /approvals",
            Box::new(|| Call::new("approvals/list").query(&[])),
            [401, 200, 200, 200, 200],
        ),
        (
            "GET /approvals/{id}",
            Box::new(|| Call::new("approvals/get").resource_id("approvals", &approval)),
            [401, 404, 200, 200, 200],
        ),
        (
            "GET /approvals?requester_id=owner",
            Box::new(|| Call::new("approvals/list").query(&[("requester_id", &owner.id)])),
            [401, 403, 403, 200, 200],
        ),
        (
            // The step needs two approvers: the approver's decision counts
            // and leaves it open for the others' answers.
            "PATCH /approvals/{id} approve",
            Box::new(|| {
                Call::new("approvals/patch")
                    .resource_id("approvals", &approval)
                    .body(json!({"status": "APPROVED"}))
            }),
            [401, 404, 200, 403, 403],
        ),
        (
            "PATCH /approvals/{id} cancel",
            Box::new(|| {
                Call::new("approvals/patch")
                    .resource_id("approvals", &approval)
                    .body(json!({"status": "CANCELLED"}))
            }),
            [401, 404, 403, 200, 403],
        ),
        (
            "GET /api/v1/rules",
            Box::new(|| Call::new("rules/list")),
            [401, 403, 403, 403, 200],
        ),
        (
            "POST /api/v1/rules",
            Box::new(|| {
                Call::new("rules/create").body(json!({"name": "Note", "trigger": "*",
                    "actions": [{"type": "log", "message": "seen"}]}))
            }),
            [401, 403, 403, 403, 201],
        ),
        (
            "GET /api/v1/rules/{id}",
            Box::new(|| rule_at("rules/get")),
            [401, 403, 403, 403, 200],
        ),
        (
            "PATCH /api/v1/rules/{id}",
            Box::new(|| rule_at("rules/patch").body(json!({"priority": 5}))),
            [401, 403, 403, 403, 200],
        ),
        (
            "POST /api/v1/automation/execute (dry run)",
            Box::new(|| {
                Call::new("automation/execute").body(json!({"entity": "approval",
                    "entity_id": approval, "event_type": "approval.created", "dry_run": true}))
            }),
            [401, 403, 403, 403, 200],
        ),
        (
            "POST /api/v1/automation/execute",
            Box::new(|| {
                Call::new("automation/execute").body(json!({"event": {"type": "report.requested",
                    "entity": "report", "entity_id": "monthly"}}))
            }),
            [401, 403, 403, 403, 200],
        ),
        (
            "GET /api/v1/automation/runs",
            Box::new(|| Call::new("automation/runs").query(&[])),
            [401, 403, 403, 403, 200],
        ),
        (
            "DELETE /api/v1/rules/{id}",
            Box::new(|| rule_at("rules/delete")),
            [401, 403, 403, 403, 204],
        ),
        (
            "DELETE /workflows/{id}",
            Box::new(|| Call::new("workflows/delete").resource_id("workflows", &draft)),
            [401, 403, 403, 403, 204],
        ),
        (
            "POST /auth/logout",
            Box::new(|| Call::new("auth/logout")),
            [401, 204, 204, 204, 204],
        ),
        (
            "DELETE /users/{id}",
            Box::new(|| Call::new("users/delete").id(&owner.id)),
            [401, 403, 403, 403, 204],
        ),
    ];

    let mut mismatches = Vec::new();
    for (route, request, expected) in &rows {
        for (caller, expected) in CALLERS.iter().zip(expected) {
            let token = match email(caller) {
                Some(email) => Some(env.login(&email).await.access),
                None => None,
            };
            let reply = env.call(request().token(token.as_deref())).await;
            if reply.status != *expected {
                mismatches.push(format!(
                    "{route} as {caller}: expected {expected}, got {} {}",
                    reply.status, reply.body
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[tokio::test]
async fn refresh_needs_no_access_token_but_a_valid_refresh_token() {
    let env = TestEnv::new().await;
    let account = env.account("refresher", Role::User).await;
    let anonymous = env
        .call(
            Call::new("auth/refresh")
                .token(None)
                .body(json!({"refresh_token": account.tokens.refresh})),
        )
        .await;
    assert_eq!(anonymous.status, 200);
    let unknown = env
        .call(Call::new("auth/refresh").body(json!({"refresh_token": "A".repeat(43)})))
        .await;
    assert_eq!(unknown.status, 401);
}
