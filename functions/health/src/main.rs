//! `health`: `GET /health`, `GET /readiness`, `GET /api/v1/health`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_platform::api::health::handle).await
}
