//! The DynamoDB stream event source mapping: reads every shard of a
//! table's stream, keeps the records that pass the mapping's
//! `FilterCriteria`, and hands them to the function in batches as
//! `aws:dynamodb` events, shard by shard and in order.
//!
//! As on Lambda: a failed batch (function error or timeout) is retried —
//! with `ReportBatchItemFailures`, from the first failed record's sequence
//! number — with backoff, up to `MaximumRetryAttempts` (-1: until it
//! succeeds, holding the shard back). With `BisectBatchOnFunctionError` a
//! batch whose invocation fails is split in two and the halves retried on
//! their own (a split uses no retry). Records older than
//! `MaximumRecordAgeInSeconds` are not delivered. What is given up (retries
//! exhausted, records too old) is skipped with a log line and, with a
//! `DestinationConfig.OnFailure` queue, described there as Lambda does: the
//! shard and the first and last sequence numbers of the records, which
//! stay readable from the stream. Records filtered out are passed over,
//! never delivered.
//!
//! Invariant: a shard's records reach the function in stream order; a
//! failed batch is retried or given up before the records after it.

use super::{filter, Wiring};
use crate::template::StreamSource;
use crate::{Invoke, InvokeOutcome};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

mod on_failure;
mod record;
use on_failure::{give_up, too_old};
pub use on_failure::{on_failure_record, GiveUp, OnFailureQueue};
pub use record::{attribute_json, item_json, record_json};

#[derive(Debug, Clone)]
pub struct StreamMapping {
    pub source: StreamSource,
    pub stream_arn: String,
    pub region: String,
    /// The `DestinationConfig.OnFailure` queue, resolved.
    pub on_failure: Option<OnFailureQueue>,
}

const IDLE_POLL: Duration = Duration::from_millis(250);

/// How a delivered batch ended: everything done, or retry from `index`.
fn retry_from(outcome: &InvokeOutcome, batch: &[Value], report_failures: bool) -> Option<usize> {
    let InvokeOutcome::Success(body) = outcome else {
        return Some(0);
    };
    if !report_failures {
        return None;
    }
    let response: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(_) => return Some(0),
        }
    };
    let failures = match response.get("batchItemFailures") {
        None | Some(Value::Null) => return None,
        Some(Value::Array(failures)) => failures,
        Some(_) => return Some(0),
    };
    let mut first: Option<usize> = None;
    for failure in failures {
        let Some(sequence) = failure.get("itemIdentifier").and_then(Value::as_str) else {
            return Some(0);
        };
        let Some(index) = batch
            .iter()
            .position(|r| r["dynamodb"]["SequenceNumber"].as_str() == Some(sequence))
        else {
            return Some(0);
        };
        first = Some(first.map_or(index, |f: usize| f.min(index)));
    }
    first
}

struct Shard {
    iterator: Option<String>,
    /// The sequence number of the last record read, to resume after it.
    last_read: Option<String>,
    buffered: Vec<Value>,
    attempts: i64,
    /// A smaller batch size after a bisection, until a batch succeeds.
    batch_limit: Option<usize>,
}

/// Runs until the wiring's shutdown turns true.
pub async fn run(
    mapping: StreamMapping,
    client: aws_sdk_dynamodbstreams::Client,
    mut wiring: Wiring,
) {
    if !mapping.source.enabled {
        return;
    }
    let mut shards: HashMap<String, Shard> = HashMap::new();
    let mut finished: Vec<String> = Vec::new();
    let mut first_discovery = true;
    while !*wiring.shutdown.borrow() {
        if let Err(error) =
            discover(&mapping, &client, &mut shards, &finished, first_discovery).await
        {
            tracing::warn!(stream = %mapping.stream_arn, error = %format!("{error:#}"), "describing the stream failed");
        }
        first_discovery = false;
        let mut busy = false;
        let ids: Vec<String> = shards.keys().cloned().collect();
        for id in ids {
            let Some(shard) = shards.get_mut(&id) else {
                continue;
            };
            match poll_shard(&mapping, &client, wiring.invoker.as_ref(), &id, shard).await {
                Ok(ShardState::Busy) => busy = true,
                Ok(ShardState::Idle) => {}
                Ok(ShardState::Closed) => {
                    shards.remove(&id);
                    finished.push(id);
                }
                Err(error) => {
                    tracing::warn!(shard = %id, error = %format!("{error:#}"), "reading the stream failed");
                }
            }
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(IDLE_POLL) => {}
                _ = wiring.shutdown.changed() => return,
            }
        }
    }
}

async fn discover(
    mapping: &StreamMapping,
    client: &aws_sdk_dynamodbstreams::Client,
    shards: &mut HashMap<String, Shard>,
    finished: &[String],
    first: bool,
) -> anyhow::Result<()> {
    let description = client
        .describe_stream()
        .stream_arn(&mapping.stream_arn)
        .send()
        .await?;
    let Some(description) = description.stream_description() else {
        return Ok(());
    };
    for shard in description.shards() {
        let Some(id) = shard.shard_id() else { continue };
        if shards.contains_key(id) || finished.iter().any(|f| f == id) {
            continue;
        }
        // Shards found later are read from their start, so nothing written
        // after start-up is missed.
        let position = if first && mapping.source.starting_position == "LATEST" {
            ShardIteratorType::Latest
        } else {
            ShardIteratorType::TrimHorizon
        };
        let iterator = client
            .get_shard_iterator()
            .stream_arn(&mapping.stream_arn)
            .shard_id(id)
            .shard_iterator_type(position)
            .send()
            .await?;
        shards.insert(
            id.to_owned(),
            Shard {
                iterator: iterator.shard_iterator().map(str::to_owned),
                last_read: None,
                buffered: Vec::new(),
                attempts: 0,
                batch_limit: None,
            },
        );
    }
    Ok(())
}

enum ShardState {
    Busy,
    Idle,
    Closed,
}

/// Whether a `GetRecords` failed because its iterator is no longer valid.
fn iterator_lost<E, R>(error: &aws_sdk_dynamodbstreams::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodbstreams::error::ProvideErrorMetadata,
{
    matches!(
        error.as_service_error().and_then(|e| e.code()),
        Some("TrimmedDataAccessException" | "ExpiredIteratorException")
    )
}

/// An iterator just after `last_read`, or at the shard's start.
async fn fresh_iterator(
    mapping: &StreamMapping,
    client: &aws_sdk_dynamodbstreams::Client,
    shard_id: &str,
    last_read: &Option<String>,
) -> anyhow::Result<Option<String>> {
    let request = client
        .get_shard_iterator()
        .stream_arn(&mapping.stream_arn)
        .shard_id(shard_id);
    let request = match last_read {
        Some(sequence) => request
            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
            .sequence_number(sequence),
        None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
    };
    let output = request.send().await?;
    Ok(output.shard_iterator().map(str::to_owned))
}

async fn poll_shard(
    mapping: &StreamMapping,
    client: &aws_sdk_dynamodbstreams::Client,
    invoker: &dyn Invoke,
    shard_id: &str,
    shard: &mut Shard,
) -> anyhow::Result<ShardState> {
    let batch_size = mapping.source.batch_size.max(1) as usize;
    if shard.buffered.len() < batch_size {
        if let Some(iterator) = shard.iterator.clone() {
            let output = match client
                .get_records()
                .shard_iterator(iterator)
                .limit(batch_size.min(1000) as i32)
                .send()
                .await
            {
                Ok(output) => output,
                Err(error) if iterator_lost(&error) => {
                    // DynamoDB Local invalidates iterators now and then
                    // (more often with several streams); start again just
                    // after the last record read.
                    shard.iterator =
                        fresh_iterator(mapping, client, shard_id, &shard.last_read).await?;
                    return Ok(ShardState::Busy);
                }
                Err(error) => return Err(error.into()),
            };
            shard.iterator = output.next_shard_iterator().map(str::to_owned);
            if let Some(last) = output.records().last() {
                shard.last_read = last
                    .dynamodb()
                    .and_then(|r| r.sequence_number())
                    .map(str::to_owned);
            }
            shard.buffered.extend(
                output
                    .records()
                    .iter()
                    .map(|r| record_json(r, &mapping.stream_arn, &mapping.region))
                    .filter(|r| filter::passes(&mapping.source.filter_patterns, r)),
            );
        }
    }
    if shard.buffered.is_empty() {
        return Ok(if shard.iterator.is_none() {
            ShardState::Closed
        } else {
            ShardState::Idle
        });
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let max_age = mapping.source.maximum_record_age_secs;
    let old = shard
        .buffered
        .iter()
        .take_while(|r| too_old(r, max_age, now))
        .count();
    if old > 0 {
        let expired: Vec<Value> = shard.buffered.drain(..old).collect();
        give_up(
            mapping,
            shard_id,
            &expired,
            GiveUp::RecordAgeExceeded,
            shard.attempts,
        )
        .await;
        shard.attempts = 0;
        return Ok(ShardState::Busy);
    }
    let take = shard
        .buffered
        .len()
        .min(shard.batch_limit.unwrap_or(batch_size));
    let batch: Vec<Value> = shard.buffered[..take].to_vec();
    let event = json!({ "Records": batch });
    let outcome = invoker
        .invoke(&mapping.source.function, event.to_string().into_bytes())
        .await;
    let function_error = !matches!(outcome, InvokeOutcome::Success(_));
    match retry_from(&outcome, &batch, mapping.source.report_batch_item_failures) {
        None => {
            shard.buffered.drain(..take);
            shard.attempts = 0;
            shard.batch_limit = None;
        }
        Some(_) if function_error && mapping.source.bisect_batch_on_function_error && take > 1 => {
            // Split to isolate the failing record; a split is not a retry.
            shard.batch_limit = Some(take / 2);
        }
        Some(index) => {
            shard.buffered.drain(..index);
            shard.attempts += 1;
            let limit = mapping.source.maximum_retry_attempts;
            if limit >= 0 && shard.attempts > limit {
                let skipped = (take - index).min(shard.buffered.len());
                let given_up: Vec<Value> = shard.buffered.drain(..skipped).collect();
                give_up(
                    mapping,
                    shard_id,
                    &given_up,
                    GiveUp::RetryAttemptsExhausted,
                    shard.attempts,
                )
                .await;
                shard.attempts = 0;
                shard.batch_limit = None;
            } else {
                let backoff =
                    Duration::from_millis(200 * 2u64.pow(shard.attempts.clamp(0, 5) as u32));
                tokio::time::sleep(backoff).await;
            }
        }
    }
    Ok(ShardState::Busy)
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
