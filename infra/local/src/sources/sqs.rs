//! The SQS event source mapping: long-polls a queue, hands batches to the
//! function as `aws:sqs` events, and deletes what succeeded.
//!
//! As on Lambda: a function error or timeout fails the whole batch (nothing
//! is deleted; the messages reappear after the visibility timeout). With
//! `ReportBatchItemFailures`, a successful response
//! `{"batchItemFailures":[{"itemIdentifier":"<messageId>"}]}` fails only
//! those messages; a malformed response, or one naming a message not in the
//! batch, fails the whole batch. Redrive to the dead-letter queue after
//! `maxReceiveCount` receives is the queue's own (moto applies it on a later
//! receive).
//!
//! A mapping has one batch in flight at a time: it waits for an invocation
//! to end before it receives again. That keeps within any
//! `ScalingConfig.MaximumConcurrency` (Lambda's smallest is 2) and within the
//! function's reserved concurrency.
//!
//! Invariant: a message is deleted only once an invocation succeeded for it.

use super::Wiring;
use crate::template::SqsSource;
use crate::{Invoke, InvokeOutcome};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Where the mapping reads from.
#[derive(Debug, Clone)]
pub struct SqsMapping {
    pub source: SqsSource,
    pub queue_url: String,
    pub queue_arn: String,
    pub region: String,
}

/// Runs until the wiring's shutdown turns true.
pub async fn run(mapping: SqsMapping, client: aws_sdk_sqs::Client, mut wiring: Wiring) {
    if !mapping.source.enabled {
        return;
    }
    while !*wiring.shutdown.borrow() {
        let batch = tokio::select! {
            batch = receive_batch(&mapping, &client) => batch,
            _ = wiring.shutdown.changed() => return,
        };
        match batch {
            Ok(messages) if messages.is_empty() => {}
            Ok(messages) => deliver(&mapping, &client, wiring.invoker.as_ref(), messages).await,
            Err(error) => {
                tracing::warn!(queue = %mapping.queue_url, error = %format!("{error:#}"), "receiving from SQS failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Up to `batch_size` messages, waiting at most the batching window (or a
/// short long-poll when there is none).
async fn receive_batch(
    mapping: &SqsMapping,
    client: &aws_sdk_sqs::Client,
) -> anyhow::Result<Vec<Message>> {
    let wanted = mapping.source.batch_size.max(1) as usize;
    let window = Duration::from_secs(u64::from(mapping.source.batching_window_secs));
    let started = Instant::now();
    let mut messages = Vec::new();
    loop {
        let remaining = wanted - messages.len();
        let wait = if messages.is_empty() {
            window.as_secs().clamp(1, 20)
        } else {
            window.saturating_sub(started.elapsed()).as_secs().min(20)
        };
        let output = client
            .receive_message()
            .queue_url(&mapping.queue_url)
            .max_number_of_messages(remaining.min(10) as i32)
            .wait_time_seconds(wait as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await?;
        let received = output.messages.unwrap_or_default();
        let got_none = received.is_empty();
        messages.extend(received);
        if messages.len() >= wanted || got_none || started.elapsed() >= window {
            return Ok(messages);
        }
    }
}

/// The Lambda event record of one message.
pub fn record(message: &Message, queue_arn: &str, region: &str) -> Value {
    let attributes: Map<String, Value> = message
        .attributes()
        .map(|attrs| {
            attrs
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), Value::String(v.clone())))
                .collect()
        })
        .unwrap_or_default();
    let message_attributes: Map<String, Value> = message
        .message_attributes()
        .map(|attrs| {
            attrs
                .iter()
                .map(|(name, value)| {
                    (
                        name.clone(),
                        json!({
                            "stringValue": value.string_value(),
                            "binaryValue": value.binary_value().map(|b| base64_encode(b.as_ref())),
                            "stringListValues": value.string_list_values(),
                            "binaryListValues": [],
                            "dataType": value.data_type(),
                        }),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "messageId": message.message_id(),
        "receiptHandle": message.receipt_handle(),
        "body": message.body().unwrap_or_default(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.md5_of_body(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    })
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Which message ids of the batch failed, per Lambda's rules; `None` means
/// the whole batch failed.
pub fn failed_ids(
    outcome: &InvokeOutcome,
    batch_ids: &HashSet<String>,
    report_batch_item_failures: bool,
) -> Option<HashSet<String>> {
    let InvokeOutcome::Success(body) = outcome else {
        return None;
    };
    if !report_batch_item_failures {
        return Some(HashSet::new());
    }
    let response: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).ok()?
    };
    let failures = match response.get("batchItemFailures") {
        None | Some(Value::Null) => return Some(HashSet::new()),
        Some(Value::Array(failures)) => failures,
        Some(_) => return None,
    };
    let mut failed = HashSet::new();
    for failure in failures {
        let id = failure.get("itemIdentifier").and_then(Value::as_str)?;
        if id.is_empty() || !batch_ids.contains(id) {
            return None;
        }
        failed.insert(id.to_owned());
    }
    Some(failed)
}

async fn deliver(
    mapping: &SqsMapping,
    client: &aws_sdk_sqs::Client,
    invoker: &dyn Invoke,
    messages: Vec<Message>,
) {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| record(m, &mapping.queue_arn, &mapping.region))
        .collect();
    let event = json!({ "Records": records });
    let outcome = invoker
        .invoke(&mapping.source.function, event.to_string().into_bytes())
        .await;
    let ids: HashSet<String> = messages
        .iter()
        .filter_map(|m| m.message_id().map(str::to_owned))
        .collect();
    let Some(failed) = failed_ids(&outcome, &ids, mapping.source.report_batch_item_failures) else {
        tracing::info!(function = %mapping.source.function, messages = messages.len(), "batch failed; it will be retried");
        return;
    };
    let entries: Vec<DeleteMessageBatchRequestEntry> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.message_id().is_some_and(|id| !failed.contains(id)))
        .filter_map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .set_receipt_handle(m.receipt_handle().map(str::to_owned))
                .build()
                .ok()
        })
        .collect();
    if !failed.is_empty() {
        tracing::info!(function = %mapping.source.function, failed = failed.len(), "partial batch failure");
    }
    for chunk in entries.chunks(10) {
        let result = client
            .delete_message_batch()
            .queue_url(&mapping.queue_url)
            .set_entries(Some(chunk.to_vec()))
            .send()
            .await;
        if let Err(error) = result {
            tracing::warn!(error = %error, "deleting processed messages failed; they will be redelivered");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> HashSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn success(body: Value) -> InvokeOutcome {
        InvokeOutcome::Success(body.to_string().into_bytes())
    }

    #[test]
    fn errors_and_timeouts_fail_the_whole_batch() {
        let batch = ids(&["a", "b"]);
        let error = InvokeOutcome::FunctionError {
            error_type: "x".into(),
            error_message: "y".into(),
        };
        assert_eq!(failed_ids(&error, &batch, true), None);
        assert_eq!(failed_ids(&InvokeOutcome::Timeout, &batch, false), None);
    }

    #[test]
    fn reported_failures_fail_only_those_messages() {
        let batch = ids(&["a", "b", "c"]);
        let response = success(json!({"batchItemFailures": [{"itemIdentifier": "b"}]}));
        assert_eq!(failed_ids(&response, &batch, true), Some(ids(&["b"])));
        assert_eq!(
            failed_ids(&success(json!({"batchItemFailures": []})), &batch, true),
            Some(ids(&[]))
        );
        assert_eq!(
            failed_ids(&success(json!(null)), &batch, true),
            Some(ids(&[]))
        );
    }

    #[test]
    fn malformed_reports_fail_the_whole_batch() {
        let batch = ids(&["a"]);
        for body in [
            json!({"batchItemFailures": [{"itemIdentifier": "zzz"}]}),
            json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
            json!({"batchItemFailures": [{}]}),
            json!({"batchItemFailures": "a"}),
        ] {
            assert_eq!(
                failed_ids(&success(body.clone()), &batch, true),
                None,
                "{body}"
            );
        }
    }

    #[test]
    fn without_reporting_any_success_deletes_everything() {
        let batch = ids(&["a"]);
        let response = success(json!({"batchItemFailures": [{"itemIdentifier": "a"}]}));
        assert_eq!(failed_ids(&response, &batch, false), Some(ids(&[])));
    }
}
