//! `workflows`: `GET|POST /workflows`, `GET|PATCH|DELETE /workflows/{id}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_approvals::api::workflows::handle).await
}
