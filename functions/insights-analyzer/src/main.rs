//! `insights-analyzer`: the `insights` queue (approval events) → each
//! approval's risk, the statistics it is scored from, and its insight.

// The analyzer's batch future nests more deeply than the default limit
// allows the compiler to lay it out.
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use opsflow_insights::pipeline::analyzer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    opsflow_platform::pipeline::consumer::run(
        analyzer::entity_table,
        |store, event: SqsEvent| async move { analyzer::analyze_batch(store, &event).await },
    )
    .await
}
