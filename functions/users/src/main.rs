//! `users`: `GET /api/v1/users`, `GET|PATCH|DELETE /api/v1/users/{id}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_identity::api::users::handle).await
}
