//! `event-router`: the table's stream (event items only) → the `audit`,
//! `automation` and `webhooks` queues; what SQS refuses for good → the
//! quarantine queue.

// The router's batch future nests more deeply than the default limit
// allows the compiler to lay it out.
#![recursion_limit = "256"]

use aws_lambda_events::event::dynamodb::Event;
use opsflow_platform::pipeline::{consumer, router::Router};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    consumer::run(Router::from_config, |router, event: Event| async move {
        router.route(&event).await
    })
    .await
}
