//! The RBAC matrix of the `rules` and `automation` functions: every route
//! × every kind of caller → the status the caller gets.

use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::Call;
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["rules", "automation"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let callers = Callers::sign_up(&env).await;
    let Callers { admin, owner, .. } = &callers;

    // A request to run rules on, and a rule to read, change and delete.
    let workflow = env.active_workflow(admin, "Purchases").await;
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
    let rows = vec![
        row(
            "GET /api/v1/rules",
            || Call::new("rules/list"),
            [401, 403, 403, 403, 200],
        ),
        row(
            "POST /api/v1/rules",
            || {
                Call::new("rules/create").body(json!({"name": "Note", "trigger": "*",
                    "actions": [{"type": "log", "message": "seen"}]}))
            },
            [401, 403, 403, 403, 201],
        ),
        row(
            "GET /api/v1/rules/{id}",
            || rule_at("rules/get"),
            [401, 403, 403, 403, 200],
        ),
        row(
            "PATCH /api/v1/rules/{id}",
            || rule_at("rules/patch").body(json!({"priority": 5})),
            [401, 403, 403, 403, 200],
        ),
        row(
            "POST /api/v1/automation/execute (dry run)",
            || {
                Call::new("automation/execute").body(json!({"entity": "approval",
                    "entity_id": approval, "event_type": "approval.created", "dry_run": true}))
            },
            [401, 403, 403, 403, 200],
        ),
        row(
            "POST /api/v1/automation/execute",
            || {
                Call::new("automation/execute").body(json!({"event": {"type": "report.requested",
                    "entity": "report", "entity_id": "monthly"}}))
            },
            [401, 403, 403, 403, 200],
        ),
        row(
            "GET /api/v1/automation/runs",
            || Call::new("automation/runs").query(&[]),
            [401, 403, 403, 403, 200],
        ),
        row(
            "DELETE /api/v1/rules/{id}",
            || rule_at("rules/delete"),
            [401, 403, 403, 403, 204],
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
