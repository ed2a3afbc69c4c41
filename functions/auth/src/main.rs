//! `auth`: `POST /auth/register`, `/auth/login`, `/auth/refresh`,
//! `/auth/logout` and `GET /auth/me`. The only function with a signing key.

use opsflow_platform::api;
use opsflow_platform::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let needs = Needs {
        verify_tokens: true,
        sign_tokens: true,
        ..Needs::default()
    };
    api::run(needs, opsflow_identity::api::auth::handle).await
}
