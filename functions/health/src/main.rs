//! `health`: `GET /health`, `GET /readiness`, `GET /api/v1/health`.

use opsflow_platform::api;
use opsflow_platform::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api::run(Needs::default(), opsflow_platform::api::health::handle).await
}
