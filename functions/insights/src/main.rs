//! `insights`: `/api/v1/aiInsights…` — risk insights, their review.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_insights::api::handle).await
}
