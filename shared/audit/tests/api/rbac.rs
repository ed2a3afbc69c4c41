//! The RBAC matrix of the `audit-logs` function: every route × every kind
//! of caller → the status the caller gets.

use crate::helpers::rbac::{row, Callers, Matrix, Send};
use crate::helpers::{delete_table_now, Call, Reply};
use opsflow_audit::api::audit_logs::{self, AuditLogs};
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["audit-logs"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let (app, table) = env.audit_logs_app().await;
    let _table = AuditTable(table);
    let audit = AuditLogs::new(app).expect("the audit-logs context");
    let callers = Callers::sign_up(&env).await;
    // A workflow every caller may see, for a client's entry about it.
    let workflow = env.active_workflow(&callers.admin, "Purchases").await;

    let rows = vec![
        // Everyone signed in lists the audit log: admins and auditors
        // all of it, others what they may see.
        row([401, 200, 200, 200, 200], "GET /api/v1/auditLogs", || {
            Call::new("audit-logs/list").query(&[])
        }),
        // A client's entry about an entity every caller may see.
        row([401, 202, 202, 202, 202], "POST /api/v1/auditLogs", || {
            Call::new("audit-logs/create").body(json!({"action": "report.exported",
                    "entity": "workflow", "entity_id": workflow, "details": {"format": "csv"}}))
        }),
    ];
    let send: Send = Box::new(|call: Call| {
        let audit = &audit;
        Box::pin(async move { Reply::from(audit_logs::handle(audit, call.request()).await) })
    });
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, Some(&send))
        .await;
}

/// The test's audit table, deleted when the test ends.
struct AuditTable(String);

impl Drop for AuditTable {
    fn drop(&mut self) {
        delete_table_now(self.0.clone());
    }
}
