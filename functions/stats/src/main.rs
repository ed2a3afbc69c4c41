//! `stats`: `GET /api/v1/stats`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_stats::api::handle).await
}
