//! `stats-aggregator`: counts each event from the `stats` queue into the
//! dashboard's counters, once.
//!
//! A batch's events are counted together, in one transaction, unless one
//! of them was counted before: then one after another, each on its own
//! (`service::count_all`). A message that is not an envelope,
//! or whose count fails, is reported as a batch item failure, so it alone
//! is retried and, after the queue's `maxReceiveCount`, lands in the
//! dead-letter queue. A redelivered event finds its mark and moves
//! nothing; an event that counts nothing writes nothing.

use crate::service::{self, Outcome};
use crate::store::Store;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use opsflow_platform::config::Config;
use opsflow_platform::pipeline::consumer::{message_span, retry};
use serde_json::Value;

/// The entity table's store, from the function's configuration.
pub fn entity_table(config: Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Store> {
    Ok(Store::new(
        opsflow_platform::store::client(sdk),
        config.table_name,
    ))
}

/// Counts a batch; the response lists the messages to retry.
#[tracing::instrument(skip_all, fields(messages = event.records.len()))]
pub async fn count_batch(store: &Store, event: &SqsEvent) -> SqsBatchResponse {
    let parsed: Vec<Result<Value, String>> = event
        .records
        .iter()
        .map(|message| {
            let body = message.body.as_deref().unwrap_or_default();
            serde_json::from_str(body).map_err(|e| format!("not an event envelope: {e}"))
        })
        .collect();
    let envelopes: Vec<Value> = parsed.iter().flatten().cloned().collect();
    let mut counted = service::count_all(store, &envelopes).await.into_iter();
    let mut response = SqsBatchResponse::default();
    for (message, parsed) in event.records.iter().zip(parsed) {
        let _in_message = message_span(message).entered();
        let event_type = parsed
            .as_ref()
            .ok()
            .and_then(|e| e["type"].as_str())
            .unwrap_or_default()
            .to_owned();
        let outcome: Result<Outcome, String> = match parsed {
            Ok(_) => counted
                .next()
                .unwrap_or_else(|| {
                    Err(crate::store::StoreError::Other(anyhow::anyhow!(
                        "uncounted"
                    )))
                })
                .map_err(|e| e.to_string()),
            Err(reason) => Err(reason),
        };
        match outcome {
            Ok(outcome) => {
                if outcome == Outcome::Counted {
                    business_metric(&event_type);
                }
                tracing::info!(?outcome, "event counted");
            }
            Err(reason) => {
                tracing::error!(%reason, "event not counted; will be retried");
                response.batch_item_failures.push(retry(message));
            }
        }
    }
    response
}

/// The business metric an event counted for the first time moves
/// ([`opsflow_platform::metrics`]): approvals filed and decided.
fn business_metric(event_type: &str) {
    use opsflow_platform::metrics::count;
    match event_type {
        "approval.created" => count("ApprovalsFiled", 1, None),
        "approval.approved" => count("ApprovalsDecided", 1, Some(("Outcome", "approved"))),
        "approval.rejected" => count("ApprovalsDecided", 1, Some(("Outcome", "rejected"))),
        _ => {}
    }
}
