//! `users`: `GET /users`, `GET|PATCH|DELETE /users/{id}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_identity::api::users::handle).await
}
