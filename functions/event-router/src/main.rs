//! `event-router`: the table's stream (event items only) → the `audit`,
//! `automation` and `webhooks` queues; what SQS refuses for good → the
//! quarantine queue.

use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use opsflow_platform::config::{Config, Needs};
use opsflow_platform::pipeline::router::{EventQueue, Router};
use opsflow_platform::telemetry;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env(Needs {
        event_queues: true,
        ..Needs::default()
    })?;
    let sdk = opsflow_platform::store::sdk_config().await;
    let [audit, automation, webhooks]: [String; 3] = config
        .event_queue_urls
        .try_into()
        .map_err(|_| "three event queues are configured")?;
    let queues = vec![
        EventQueue::every_event(audit),
        // Rules act on platform events only, never on what a caller reports.
        EventQueue::platform_events(automation),
        EventQueue::every_event(webhooks),
    ];
    let quarantine = config.quarantine_queue_url.unwrap_or_default();
    // Built once per cold start and kept for the life of the process.
    let router: &'static Router = Box::leak(Box::new(Router::new(
        aws_sdk_sqs::Client::new(&sdk),
        queues,
        quarantine,
    )));
    run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<_, Error>(router.route(&event.payload).await)
    }))
    .await
}
