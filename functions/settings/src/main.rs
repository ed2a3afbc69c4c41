//! `settings`: `GET /api/v1/settings`, `GET|PUT /api/v1/settings/{key}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_settings::api::handle).await
}
