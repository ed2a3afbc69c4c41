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

    // A request to run rules on, and a rule to read, change and delete.
    let workflow = env.active_workflow(&callers.admin, "Purchases").await;
    let approval = env.file_approval(&callers.owner, &workflow, "Chairs").await;
    let rule = env
        .create(Call::new("rules/create").by(&callers.admin).body(
            json!({"name": "Note filings", "trigger": "approval.created",
                    "actions": [{"type": "log", "message": "filed"}]}),
        ))
        .await;
    let rule_at = |fixture: &str| Call::new(fixture).resource_id("api/v1/rules", &rule);
    // A decision rule's first version, to list and switch.
    let decision_rule = json!({"workflow_type": "HIGH_VALUE_TRANSACTION", "outcome": "APPROVED"});
    env.create(
        Call::new("rules/decision-rules-create")
            .by(&callers.admin)
            .body(decision_rule.clone()),
    )
    .await;
    let version_at = |fixture: &str| {
        Call::new(fixture).path_params(&[
            ("workflow_type", "HIGH_VALUE_TRANSACTION"),
            ("version", "1"),
        ])
    };

    // The rule's deletion comes last.
    let rows = vec![
        row([401, 403, 403, 403, 200, 200], "GET /api/v1/rules", || {
            Call::new("rules/list")
        }),
        row([401, 403, 403, 403, 201, 403], "POST /api/v1/rules", || {
            Call::new("rules/create").body(json!({"name": "Note", "trigger": "*",
                    "actions": [{"type": "log", "message": "seen"}]}))
        }),
        row(
            [401, 403, 403, 403, 200, 200],
            "GET /api/v1/rules/{id}",
            || rule_at("rules/get"),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "PATCH /api/v1/rules/{id}",
            || rule_at("rules/patch").body(json!({"priority": 5})),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "POST /api/v1/automation/execute (dry run)",
            || {
                Call::new("automation/execute").body(json!({"entity": "approval",
                    "entity_id": approval, "event_type": "approval.created", "dry_run": true}))
            },
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "POST /api/v1/automation/execute",
            || {
                Call::new("automation/execute").body(json!({"event": {"type": "report.requested",
                    "entity": "report", "entity_id": "monthly"}}))
            },
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "POST /api/v1/automation/execute (decision request)",
            || Call::new("automation/decide"),
        ),
        row(
            [401, 403, 403, 403, 200, 200],
            "GET /api/v1/decisionRules",
            || Call::new("rules/decision-rules-list"),
        ),
        row(
            [401, 403, 403, 403, 201, 403],
            "POST /api/v1/decisionRules",
            || Call::new("rules/decision-rules-create").body(decision_rule.clone()),
        ),
        row(
            [401, 403, 403, 403, 200, 200],
            "GET /api/v1/decisionRules/{workflow_type}/versions",
            || version_at("rules/decision-rules-versions"),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "PATCH /api/v1/decisionRules/{workflow_type}/versions/{version}",
            || version_at("rules/decision-rules-patch"),
        ),
        row(
            [401, 403, 403, 403, 200, 200],
            "GET /api/v1/automation/runs",
            || Call::new("automation/runs").query(&[]),
        ),
        row(
            [401, 403, 403, 403, 204, 403],
            "DELETE /api/v1/rules/{id}",
            || rule_at("rules/delete"),
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
