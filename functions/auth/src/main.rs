//! `auth`: `POST /auth/register`, `/auth/login`, `/auth/refresh`,
//! `/auth/logout` and `GET /auth/me`. The only function with a signing key:
//! its handlers' context (`Auth`) holds it.

use opsflow_identity::api::auth::{self, Auth};
use opsflow_platform::api;
use opsflow_platform::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let needs = Needs {
        verify_tokens: true,
        sign_tokens: true,
        ..Needs::NOTHING
    };
    api::run_with(
        needs,
        |app, sdk| async move { Auth::new(app, &sdk).await },
        auth::handle,
    )
    .await
}
