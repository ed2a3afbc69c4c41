//! `event-router`: sends each outbox envelope from the table's stream to
//! every event queue.
//!
//! Sends use `SendMessageBatch`, retrying the entries SQS did not accept. If
//! an envelope still cannot reach every queue, the router reports the
//! earliest such stream record as failed, so Lambda retries from there: a
//! record is never skipped, and a queue may see a record twice (its
//! consumers are idempotent). An event item whose envelope is missing is
//! logged and passed over, as no retry can mend it.

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use std::time::Duration;

/// Attempts per batch before a record is reported as failed. Public so
/// that fault tests can refuse an envelope more often than this and so
/// reach the stream mapping's retry.
pub const SEND_ATTEMPTS: u32 = 3;

/// One envelope to forward, with the stream record it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub sequence_number: String,
    pub event_type: String,
    pub envelope: String,
}

/// The envelopes in a stream batch, in stream order. Records that are not
/// event items (the mapping's filter should already have removed them) are
/// skipped.
pub fn envelopes(event: &StreamEvent) -> Vec<Outgoing> {
    let text = |item: &serde_dynamo::Item, name: &str| match item.get(name) {
        Some(serde_dynamo::AttributeValue::S(value)) => Some(value.clone()),
        _ => None,
    };
    event
        .records
        .iter()
        .filter_map(|record| {
            let image = &record.change.new_image;
            if text(image, "type").as_deref() != Some("event") {
                return None;
            }
            let sequence_number = record.change.sequence_number.clone().unwrap_or_default();
            let Some(envelope) = text(image, "envelope") else {
                tracing::error!(%sequence_number, "event item without an envelope; passed over");
                return None;
            };
            Some(Outgoing {
                sequence_number,
                event_type: text(image, "event_type").unwrap_or_default(),
                envelope,
            })
        })
        .collect()
}

pub struct Router {
    sqs: aws_sdk_sqs::Client,
    queues: Vec<String>,
}

impl Router {
    pub fn new(sqs: aws_sdk_sqs::Client, queues: Vec<String>) -> Self {
        Self { sqs, queues }
    }

    /// Forwards a stream batch; the response names the first record that
    /// did not reach every queue (and so everything after it is retried).
    #[tracing::instrument(skip_all, fields(records = event.records.len()))]
    pub async fn route(&self, event: &StreamEvent) -> DynamoDbEventResponse {
        let outgoing = envelopes(event);
        let mut first_failed: Option<usize> = None;
        for queue in &self.queues {
            for (chunk_index, chunk) in outgoing.chunks(10).enumerate() {
                if let Some(failed) = self.send_chunk(queue, chunk).await {
                    let index = chunk_index * 10 + failed;
                    first_failed = Some(first_failed.map_or(index, |f| f.min(index)));
                }
            }
        }
        let mut response = DynamoDbEventResponse::default();
        if let Some(index) = first_failed {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(outgoing[index].sequence_number.clone());
            response.batch_item_failures.push(failure);
        }
        response
    }

    /// Sends up to 10 envelopes to one queue, retrying what SQS refused;
    /// returns the index of the first one that never got through.
    async fn send_chunk(&self, queue: &str, chunk: &[Outgoing]) -> Option<usize> {
        let mut pending: Vec<usize> = (0..chunk.len()).collect();
        for attempt in 0..SEND_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 * 4u64.pow(attempt - 1))).await;
            }
            let entries: Vec<SendMessageBatchRequestEntry> = pending
                .iter()
                .filter_map(|&i| entry(i, &chunk[i]))
                .collect();
            match self
                .sqs
                .send_message_batch()
                .queue_url(queue)
                .set_entries(Some(entries))
                .send()
                .await
            {
                Ok(output) => {
                    let refused: Vec<usize> = output
                        .failed()
                        .iter()
                        .filter_map(|f| f.id().parse().ok())
                        .collect();
                    for failure in output.failed() {
                        tracing::warn!(
                            queue,
                            id = failure.id(),
                            code = failure.code(),
                            "SQS refused an envelope"
                        );
                    }
                    pending.retain(|i| refused.contains(i));
                }
                Err(error) => {
                    tracing::warn!(queue, error = %aws_sdk_sqs::error::DisplayErrorContext(&error), "sending envelopes failed");
                }
            }
            if pending.is_empty() {
                return None;
            }
        }
        pending.into_iter().min()
    }
}

fn entry(index: usize, outgoing: &Outgoing) -> Option<SendMessageBatchRequestEntry> {
    let mut entry = SendMessageBatchRequestEntry::builder()
        .id(index.to_string())
        .message_body(&outgoing.envelope);
    if !outgoing.event_type.is_empty() {
        if let Ok(attribute) = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(&outgoing.event_type)
            .build()
        {
            entry = entry.message_attributes("event_type", attribute);
        }
    }
    entry.build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_event_items_with_envelopes_are_forwarded_in_order() {
        let event: StreamEvent =
            serde_json::from_str(include_str!("../../../events/event-router/stream.json"))
                .expect("the fixture is a stream event");
        let outgoing = envelopes(&event);
        let types: Vec<&str> = outgoing.iter().map(|o| o.event_type.as_str()).collect();
        assert_eq!(types, ["user.registered", "user.role_changed"]);
        assert!(outgoing.iter().all(|o| o.envelope.starts_with('{')));
        assert!(outgoing[0].sequence_number < outgoing[1].sequence_number);
    }
}
