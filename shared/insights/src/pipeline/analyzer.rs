//! `insights-analyzer`: the `insights` queue (approval events, through
//! the router's insights lane) → each approval's risk and its insight.
//! A message that is not an envelope, or whose analysis fails, is
//! reported as a batch item failure, so it alone is retried and, after the
//! queue's `maxReceiveCount`, lands in the dead-letter queue. An event
//! about an approval whose filing is not scored yet waits for it the same
//! way.

use crate::service::{self, Analyzed};
use crate::store::Store;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use opsflow_platform::config::Config;
use opsflow_platform::events::Envelope;
use opsflow_platform::pipeline::consumer::{message_span, retry};
use tracing::Instrument;

/// The entity table's store, from the function's configuration.
pub fn entity_table(config: Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Store> {
    Ok(Store::new(
        opsflow_platform::store::client(sdk),
        config.table_name,
    ))
}

/// Analyses one message's event.
async fn analyze_one<'a>(
    store: &Store,
    message: &'a SqsMessage,
) -> (&'a SqsMessage, Result<Analyzed, String>) {
    let body = message.body.as_deref().unwrap_or_default();
    let outcome = match serde_json::from_str::<Envelope>(body) {
        Ok(envelope) => service::analyze(store, &envelope)
            .await
            .map_err(|e| e.to_string()),
        Err(error) => Err(format!("not an event envelope: {error}")),
    };
    (message, outcome)
}

/// Analyses a batch; the response lists the messages to retry.
#[tracing::instrument(skip_all, fields(messages = event.records.len()))]
pub async fn analyze_batch(store: &Store, event: &SqsEvent) -> SqsBatchResponse {
    // One after another: a batch's events mostly share a workflow, whose
    // statistics item they would otherwise fight over.
    let mut outcomes = Vec::with_capacity(event.records.len());
    for message in &event.records {
        let span = message_span(message);
        let (message, outcome) = analyze_one(store, message).instrument(span.clone()).await;
        outcomes.push((message, outcome, span));
    }
    let mut response = SqsBatchResponse::default();
    for (message, outcome, span) in outcomes {
        let _in_message = span.enter();
        match outcome {
            Ok(Analyzed::Ignored) => tracing::debug!("event ignored"),
            Ok(outcome) => tracing::info!(?outcome, "event analysed"),
            Err(reason) => {
                tracing::warn!(%reason, "event not analysed; will be retried");
                response.batch_item_failures.push(retry(message));
            }
        }
    }
    response
}
