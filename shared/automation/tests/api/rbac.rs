//! The RBAC matrix of the `rules` and `automation` functions: every route
//! × every kind of caller → the status the caller gets.

use crate::helpers::rbac::{Matrix, Row};
use crate::helpers::Call;
use opsflow_platform::domain::Role;
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["rules", "automation"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let user = env.account("user", Role::User).await;
    let approver = env.account("approver", Role::Approver).await;
    let admin = env.account("admin", Role::Admin).await;
    let owner = env.account("owner", Role::User).await;

    // A request to run rules on, and a rule to read, change and delete.
    let workflow = env.active_workflow(&admin, "Purchases").await;
    let approval = env
        .create(
            Call::new("approvals/create")
                .token(Some(&owner.tokens.access))
                .body(json!({"workflow_id": workflow, "title": "Chairs"})),
        )
        .await;
    let rule = env
        .create(
            Call::new("rules/create")
                .token(Some(&admin.tokens.access))
                .body(
                    json!({"name": "Note filings", "trigger": "approval.created",
                    "actions": [{"type": "log", "message": "filed"}]}),
                ),
        )
        .await;
    let rule_at = |fixture: &str| Call::new(fixture).resource_id("api/v1/rules", &rule);

    // The rule's deletion comes last.
    let rows: Vec<Row> = vec![
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
    ];
    let matrix = Matrix {
        env: &env,
        functions: FUNCTIONS,
        emails: [
            None,
            Some(user.email.clone()),
            Some(approver.email.clone()),
            Some(owner.email.clone()),
            Some(admin.email.clone()),
        ],
    };
    matrix.check(&rows, None).await;
}
