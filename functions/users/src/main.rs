//! `users`: `GET /users`, `GET|PATCH|DELETE /users/{id}`.

use lambda_http::{run, service_fn, Error};
use opsflow_shared::config::Needs;
use opsflow_shared::{api, telemetry, App};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let needs = Needs {
        verify_tokens: true,
        sign_tokens: false,
        cursors: true,
        ..Needs::default()
    };
    // Built once per cold start and kept for the life of the process.
    let app: &'static App = Box::leak(Box::new(App::from_env(needs).await?));
    run(service_fn(move |req| async move {
        Ok::<_, Error>(api::users::handle(app, req).await)
    }))
    .await
}
