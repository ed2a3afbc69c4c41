//! `auth`: `POST /api/v1/auth/register`, `/api/v1/auth/login`, `/api/v1/auth/refresh`,
//! `/api/v1/auth/logout` and `GET /api/v1/auth/me`. The only function with a signing key:
//! its handlers' context (`Auth`) holds it.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_identity::api::auth::handle).await
}
