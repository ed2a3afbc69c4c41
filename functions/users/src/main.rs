//! `users`: `GET /users`, `GET|PATCH|DELETE /users/{id}`.

use opsflow_platform::api;
use opsflow_platform::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api::run(Needs::API, opsflow_identity::api::users::handle).await
}
