//! `workflows`: `GET|POST /api/v1/workflows`, `GET|PATCH|DELETE /api/v1/workflows/{id}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_approvals::api::workflows::handle).await
}
