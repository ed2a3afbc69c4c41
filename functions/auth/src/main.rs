//! `auth`: `POST /auth/register`, `/auth/login`, `/auth/refresh`,
//! `/auth/logout` and `GET /auth/me`. The only function with a signing key.

use opsflow_shared::api;
use opsflow_shared::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let needs = Needs {
        verify_tokens: true,
        sign_tokens: true,
        ..Needs::default()
    };
    api::run(needs, api::auth::handle).await
}
