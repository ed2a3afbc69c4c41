//! `audit-logs`: `GET /auditLogs` (reads) and `POST /auditLogs`
//! (client-side entries, through the outbox). It reads the audit table and
//! never writes it. Whether a caller may see an entity's records is up to
//! the module that owns its kind: those registered here.

use opsflow_audit::api::audit_logs::AuditLogs;
use opsflow_platform::api;
use opsflow_platform::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let needs = Needs {
        audit_table: true,
        ..Needs::API
    };
    let modules = [opsflow_identity::register, opsflow_approvals::register];
    api::run_with(
        needs,
        move |app, _| async move { AuditLogs::new(app.with_registry(&modules)) },
        opsflow_audit::api::audit_logs::handle,
    )
    .await
}
