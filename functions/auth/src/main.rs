//! `auth`: `POST /auth/register`, `/auth/login`, `/auth/refresh`,
//! `/auth/logout` and `GET /auth/me`. The only function with a signing key:
//! its handlers' context (`Auth`) holds it.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_identity::api::auth::handle).await
}
