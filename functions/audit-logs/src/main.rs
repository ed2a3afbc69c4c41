//! `audit-logs`: `GET /api/v1/auditLogs` (reads) and `POST /api/v1/auditLogs`
//! (client-side entries, through the outbox). It reads the audit table and
//! never writes it. Whether a caller may see an entity's records is up to
//! the module that owns its kind: every module in this function's
//! `Cargo.toml` registers its kinds.

include!(concat!(env!("OUT_DIR"), "/modules.rs"));

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run_with_modules(MODULES, opsflow_audit::api::audit_logs::handle).await
}
