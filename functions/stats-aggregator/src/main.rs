//! `stats-aggregator`: the `stats` queue → the dashboard's counters, each
//! event counted once.

use aws_lambda_events::event::sqs::SqsEvent;
use opsflow_stats::pipeline::aggregator;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    opsflow_platform::pipeline::consumer::run(
        aggregator::entity_table,
        |store, event: SqsEvent| async move { aggregator::count_batch(store, &event).await },
    )
    .await
}
