//! `event-router`: the table's stream (event items only) → the `audit`,
//! `automation` and `webhooks` queues.

use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use opsflow_shared::config::{Config, Needs};
use opsflow_shared::pipeline::router::Router;
use opsflow_shared::telemetry;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env(Needs {
        event_queues: true,
        ..Needs::default()
    })?;
    let sdk = opsflow_shared::store::sdk_config().await;
    // Built once per cold start and kept for the life of the process.
    let router: &'static Router = Box::leak(Box::new(Router::new(
        aws_sdk_sqs::Client::new(&sdk),
        config.event_queue_urls,
    )));
    run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<_, Error>(router.route(&event.payload).await)
    }))
    .await
}
