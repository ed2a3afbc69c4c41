//! `workflows`: `GET|POST /workflows`, `GET|PATCH|DELETE /workflows/{id}`.

use opsflow_platform::api;
use opsflow_platform::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api::run(Needs::API, opsflow_approvals::api::workflows::handle).await
}
