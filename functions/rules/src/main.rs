//! `rules`: `GET|POST /api/v1/rules`, `GET|PATCH|DELETE /api/v1/rules/{id}`.

use opsflow_platform::api;
use opsflow_platform::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api::run(Needs::API, opsflow_automation::api::rules::handle).await
}
