//! `approvals`: `GET|POST /api/v1/approvals`, `GET|PATCH /api/v1/approvals/{id}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_approvals::api::approvals::handle).await
}
