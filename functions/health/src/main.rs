//! `health`: `GET /health`, `GET /readiness`, `GET /api/v1/health`.

use opsflow_shared::api;
use opsflow_shared::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api::run(Needs::default(), api::health::handle).await
}
