//! `rules`: `GET|POST /api/v1/rules`, `GET|PATCH|DELETE /api/v1/rules/{id}`,
//! and the decision rules (`/api/v1/decisionRules…`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_automation::api::rules::handle).await
}
