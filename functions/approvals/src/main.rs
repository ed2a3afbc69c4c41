//! `approvals`: `GET|POST /approvals`, `GET|PATCH /approvals/{id}`.

use opsflow_platform::api;
use opsflow_platform::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api::run(Needs::API, opsflow_approvals::api::approvals::handle).await
}
