//! `approvals`: `GET|POST /approvals`, `GET|PATCH /approvals/{id}`.

use opsflow_shared::api;
use opsflow_shared::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let needs = Needs {
        verify_tokens: true,
        cursors: true,
        ..Needs::default()
    };
    api::run(needs, api::approvals::handle).await
}
