//! Every route × every kind of caller → the status the caller gets. The
//! routes are those of `template.yaml`: a route without a row (or a row
//! for a route the template does not have) fails the matrix.

use crate::helpers::{Call, Reply, TestEnv, PASSWORD};
use opsflow_platform::domain::{EntityId, Role};
use serde_json::json;
use std::cell::RefCell;
use std::collections::BTreeSet;

const CALLERS: [&str; 5] = ["anonymous", "user", "approver", "owner", "admin"];

/// A route, how to build its request, and the status for each caller.
type Row<'a> = (&'static str, Box<dyn Fn() -> Call + 'a>, [u16; 5]);

/// Every `METHOD /path` of the template's `HttpApi` events.
fn template_routes() -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    let text = std::fs::read_to_string(path).expect("template.yaml");
    let root: yaml_serde::Value = yaml_serde::from_str(&text).expect("template.yaml is YAML");
    let resources = root["Resources"].as_mapping().expect("Resources");
    let mut routes = BTreeSet::new();
    for resource in resources.values() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let events = resource["Properties"]["Events"].as_mapping();
        for event in events.into_iter().flat_map(|events| events.values()) {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let method = event["Properties"]["Method"].as_str().expect("a method");
            let path = event["Properties"]["Path"].as_str().expect("a path");
            routes.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    routes
}

/// The route a row's label names: `PATCH /users/{id} role` → `PATCH
/// /users/{id}`, `GET /approvals?requester_id=owner` → `GET /approvals`.
fn route_of(label: &str) -> String {
    let mut words = label.split_whitespace();
    let method = words.next().unwrap_or_default();
    let path = words.next().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    format!("{method} {path}")
}

/// The `audit-logs` function's app, over an audit table of its own.
struct AuditLogs {
    app: opsflow_audit::api::audit_logs::AuditLogs,
    table: String,
}

impl AuditLogs {
    async fn new(env: &TestEnv) -> Self {
        let (app, table) = env.audit_logs_app().await;
        let app =
            opsflow_audit::api::audit_logs::AuditLogs::new(app).expect("the audit-logs context");
        Self { app, table }
    }
}

impl Drop for AuditLogs {
    fn drop(&mut self) {
        crate::helpers::delete_table_now(self.table.clone());
    }
}

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let audit_logs = AuditLogs::new(&env).await;
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

    // Refresh tokens of an account nobody changes, one per caller: the
    // refresh token is the credential, whatever access token comes along.
    let refresher = env.account("refresher", Role::User).await;
    let mut refresh_tokens = Vec::new();
    for _ in CALLERS {
        refresh_tokens.push(env.login(&refresher.email).await.refresh);
    }
    let refresh_tokens = RefCell::new(refresh_tokens);

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
            "POST /auth/refresh",
            Box::new(|| {
                let token = refresh_tokens.borrow_mut().pop().expect("a refresh token");
                Call::new("auth/refresh").body(json!({"refresh_token": token}))
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
            // Everyone signed in lists the audit log: admins and auditors
            // all of it, others what they may see.
            "GET /auditLogs",
            Box::new(|| Call::new("audit-logs/list").query(&[])),
            [401, 200, 200, 200, 200],
        ),
        (
            // A client's entry about an entity every caller may see.
            "POST /auditLogs",
            Box::new(|| {
                Call::new("audit-logs/create").body(json!({"action": "report.exported",
                    "entity": "workflow", "entity_id": workflow, "details": {"format": "csv"}}))
            }),
            [401, 202, 202, 202, 202],
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

    let covered: BTreeSet<String> = rows.iter().map(|(label, _, _)| route_of(label)).collect();
    let routes = template_routes();
    let without_row: Vec<&String> = routes.difference(&covered).collect();
    let not_in_template: Vec<&String> = covered.difference(&routes).collect();
    assert!(
        without_row.is_empty() && not_in_template.is_empty(),
        "routes of template.yaml without a row: {without_row:?}; rows for routes it does not have: {not_in_template:?}"
    );

    let mut mismatches = Vec::new();
    for (route, request, expected) in &rows {
        for (caller, expected) in CALLERS.iter().zip(expected) {
            let token = match email(caller) {
                Some(email) => Some(env.login(&email).await.access),
                None => None,
            };
            let call = request().token(token.as_deref());
            let reply = if route_of(route).contains(" /auditLogs") {
                Reply::from(
                    opsflow_audit::api::audit_logs::handle(&audit_logs.app, call.request()).await,
                )
            } else {
                env.call(call).await
            };
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
    let env = crate::env().await;
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
