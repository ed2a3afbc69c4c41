//! `stats-aggregator`: counts each event from the `stats` queue into the
//! dashboard's counters, once.
//!
//! Messages are counted one after another, each on its own: a message
//! that is not an envelope,
//! or whose count fails, is reported as a batch item failure, so it alone
//! is retried and, after the queue's `maxReceiveCount`, lands in the
//! dead-letter queue. A redelivered event finds its mark and moves
//! nothing; an event that counts nothing writes nothing.

use crate::service::{self, Outcome};
use crate::store::Store;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use opsflow_platform::config::Config;
use opsflow_platform::pipeline::consumer::retry;
use serde_json::Value;

/// The entity table's store, from the function's configuration.
pub fn entity_table(config: Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Store> {
    Ok(Store::new(
        opsflow_platform::store::client(sdk),
        config.table_name,
    ))
}

async fn count_one(store: &Store, message: &SqsMessage) -> Result<Outcome, String> {
    let body = message.body.as_deref().unwrap_or_default();
    let envelope: Value =
        serde_json::from_str(body).map_err(|e| format!("not an event envelope: {e}"))?;
    service::count(store, &envelope)
        .await
        .map_err(|e| e.to_string())
}

/// Counts a batch; the response lists the messages to retry.
#[tracing::instrument(skip_all, fields(messages = event.records.len()))]
pub async fn count_batch(store: &Store, event: &SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    // One after another: the events of a batch mostly move the same
    // counters, and transactions on an item at once cancel each other.
    for message in &event.records {
        let id = message.message_id.clone().unwrap_or_default();
        match count_one(store, message).await {
            Ok(outcome) => tracing::info!(message_id = %id, ?outcome, "event counted"),
            Err(reason) => {
                tracing::error!(message_id = %id, %reason, "event not counted; will be retried");
                response.batch_item_failures.push(retry(message));
            }
        }
    }
    response
}
