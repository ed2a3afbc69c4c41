//! `audit-logs`: `GET /auditLogs` (reads) and `POST /auditLogs`
//! (client-side entries, through the outbox). It reads the audit table and
//! never writes it.

use opsflow_platform::api;
use opsflow_platform::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let needs = Needs {
        verify_tokens: true,
        cursors: true,
        audit_table: true,
        ..Needs::default()
    };
    api::run(needs, opsflow_audit::api::audit_logs::handle).await
}
