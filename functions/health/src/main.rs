//! `health`: `GET /health`, `GET /readiness`, `GET /api/v1/health`.

use lambda_http::{run, service_fn, Error};
use opsflow_shared::config::Needs;
use opsflow_shared::{api, telemetry, App};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    // Built once per cold start and kept for the life of the process.
    let app: &'static App = Box::leak(Box::new(App::from_env(Needs::default()).await?));
    run(service_fn(move |req| async move {
        Ok::<_, Error>(api::health::handle(app, req).await)
    }))
    .await
}
