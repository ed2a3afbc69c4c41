//! `event-router`: the table's stream (event items only) → the `audit`,
//! `automation`, `webhooks` and `stats` queues, and the lanes of the
//! modules in this function's `Cargo.toml` (the jobs queues); what SQS
//! refuses for good → the quarantine queue.

// The router's batch future nests more deeply than the default limit
// allows the compiler to lay it out.
#![recursion_limit = "256"]

use aws_lambda_events::event::dynamodb::Event;
use opsflow_platform::pipeline::{consumer, router::Router};
use opsflow_platform::registry::Registry;

include!(concat!(env!("OUT_DIR"), "/modules.rs"));

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    consumer::run(
        |config, sdk| Router::from_config(config, sdk, &Registry::of(MODULES)),
        |router, event: Event| async move { router.route(&event).await },
    )
    .await
}
