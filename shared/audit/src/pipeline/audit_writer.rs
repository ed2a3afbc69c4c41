//! `audit-writer`: one audit record per event from the `audit` queue.
//!
//! Each message is handled on its own: a message that is not an envelope,
//! or whose write fails, is reported as a batch item failure, so it alone is
//! retried and, after the queue's `maxReceiveCount`, lands in the
//! dead-letter queue. A redelivered event finds its record already written
//! and succeeds without writing anything.
//!
//! A `client.<action>` event (reported through `POST /api/v1/auditLogs`) becomes a
//! record with source `client`; every other event is the platform's.
//! Whatever an event's changes hold, its record is written: they are
//! stored as their JSON text (`store::audit`), so no number or nesting
//! DynamoDB refuses in a map can send a message to the dead-letter queue.

use crate::config::Config;
use crate::events::Envelope;
use crate::store::audit::AuditStore;
use crate::store::audit::{AuditRecord, AuditSource, Written};
use crate::store::Store;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use opsflow_platform::pipeline::consumer::{each_in_its_span, retry};

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Written,
    Duplicate,
    Failed(String),
}

async fn write_one(store: &Store, message: &SqsMessage) -> Outcome {
    let body = message.body.as_deref().unwrap_or_default();
    let envelope: Envelope = match serde_json::from_str(body) {
        Ok(envelope) => envelope,
        Err(error) => return Outcome::Failed(format!("not an event envelope: {error}")),
    };
    let record = AuditRecord::from_event(&envelope, AuditSource::of(&envelope));
    match store.put_audit_record(&record).await {
        Ok(Written::New) => Outcome::Written,
        Ok(Written::AlreadyThere) => Outcome::Duplicate,
        Err(error) => Outcome::Failed(error.to_string()),
    }
}

/// The audit table's store, from the `audit-writer` function's
/// configuration (`AUDIT_TABLE_NAME`).
pub fn audit_table(config: Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Store> {
    let table = config.vars.required("AUDIT_TABLE_NAME")?;
    Ok(Store::new(
        aws_sdk_dynamodb::Client::new(sdk),
        table.to_owned(),
    ))
}

/// Writes a batch; the response lists the messages to retry.
#[tracing::instrument(skip_all, fields(messages = event.records.len()))]
pub async fn write_batch(store: &Store, event: &SqsEvent) -> SqsBatchResponse {
    let outcomes = each_in_its_span(&event.records, |m| write_one(store, m)).await;
    let mut response = SqsBatchResponse::default();
    let mut written = 0;
    for (message, outcome, span) in outcomes {
        let _in_message = span.enter();
        match outcome {
            Outcome::Written => {
                written += 1;
                tracing::info!("audit record written");
            }
            Outcome::Duplicate => tracing::info!("audit record already written"),
            Outcome::Failed(reason) => {
                tracing::error!(%reason, "audit record not written; will be retried");
                response.batch_item_failures.push(retry(message));
            }
        }
    }
    opsflow_platform::metrics::count("AuditRecordsWritten", written, None);
    response
}
