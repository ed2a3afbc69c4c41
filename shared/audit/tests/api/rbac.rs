//! The RBAC matrix of the `audit-logs` function: every route × every kind
//! of caller → the status the caller gets.

use crate::audit_logs::AuditEnv;
use crate::helpers::rbac::{row, Callers, Matrix, Send};
use crate::helpers::Call;
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["audit-logs"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let audit = AuditEnv::new().await;
    let env = &audit.env;
    let callers = Callers::sign_up(env).await;
    // A workflow every caller may see, for a client's entry about it.
    let workflow = env.active_workflow(&callers.admin, "Purchases").await;
    // A record of the owner's own action, about a kind only clients use.
    let entry = json!({"action": "report.viewed", "entity": "client_report", "entity_id": "r-9"});
    let own = audit
        .call(
            Call::new("audit-logs/create")
                .by(&callers.owner)
                .body(entry),
        )
        .await;
    let own = own.body["id"].as_str().expect("an id").to_owned();
    audit.deliver_committed().await;

    let rows = vec![
        // Everyone signed in lists the audit log: admins and auditors
        // all of it, others what they may see.
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/auditLogs",
            || Call::new("audit-logs/list").query(&[]),
        ),
        // A record is its actor's, admins' and auditors' (and theirs who may see
        // what it is about: no one else, for a client's own kind).
        row(
            [401, 404, 404, 200, 200, 200],
            "GET /api/v1/auditLogs/{id}",
            || Call::new("audit-logs/get").path_params(&[("id", &own)]),
        ),
        // A client's entry about an entity every caller may see.
        row(
            [401, 202, 202, 202, 202, 202],
            "POST /api/v1/auditLogs",
            || {
                Call::new("audit-logs/create").body(json!({"action": "report.exported",
                    "entity": "workflow", "entity_id": workflow, "details": {"format": "csv"}}))
            },
        ),
    ];
    let send: Send = Box::new(|call: Call| {
        let audit = &audit;
        Box::pin(async move { audit.call(call).await })
    });
    Matrix::new(env, FUNCTIONS, &callers)
        .check(&rows, Some(&send))
        .await;
}
