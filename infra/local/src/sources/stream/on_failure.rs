//! What a stream mapping gives up, and where it says so: records past
//! `MaximumRetryAttempts` or older than `MaximumRecordAgeInSeconds` are
//! skipped with a log line and, with a `DestinationConfig.OnFailure`
//! queue, described there as Lambda describes them (shard and sequence
//! numbers, not the records, which stay readable from the stream).

use super::StreamMapping;
use serde_json::{json, Value};

/// Where a mapping describes the batches it gives up.
#[derive(Debug, Clone)]
pub struct OnFailureQueue {
    pub sqs: aws_sdk_sqs::Client,
    pub url: String,
}

/// Why records were given up, in Lambda's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    RetryAttemptsExhausted,
    RecordAgeExceeded,
}

impl GiveUp {
    fn condition(self) -> &'static str {
        match self {
            Self::RetryAttemptsExhausted => "RetryAttemptsExhausted",
            Self::RecordAgeExceeded => "RecordAgeExceeded",
        }
    }
}

/// The on-failure record Lambda sends for records of a stream given up:
/// what failed and where the records are, not the records themselves.
pub fn on_failure_record(
    mapping: &StreamMapping,
    shard_id: &str,
    records: &[Value],
    why: GiveUp,
    invocations: i64,
) -> Value {
    let sequence = |r: Option<&Value>| r.map(|r| r["dynamodb"]["SequenceNumber"].clone());
    let arrival = |r: Option<&Value>| {
        r.and_then(|r| r["dynamodb"]["ApproximateCreationDateTime"].as_f64())
            .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs as i64).ok())
            .and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
    };
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    json!({
        "requestContext": {
            "requestId": uuid::Uuid::new_v4().to_string(),
            "functionArn": format!("arn:aws:lambda:{}:000000000000:function:{}", mapping.region, mapping.source.function),
            "condition": why.condition(),
            "approximateInvokeCount": invocations,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": if why == GiveUp::RetryAttemptsExhausted { json!("Unhandled") } else { Value::Null },
        },
        "version": "1.0",
        "timestamp": now,
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": sequence(records.first()),
            "endSequenceNumber": sequence(records.last()),
            "approximateArrivalOfFirstRecord": arrival(records.first()),
            "approximateArrivalOfLastRecord": arrival(records.last()),
            "batchSize": records.len(),
            "streamArn": mapping.stream_arn,
        },
    })
}

/// Logs records given up and describes them on the on-failure queue.
pub(super) async fn give_up(
    mapping: &StreamMapping,
    shard_id: &str,
    records: &[Value],
    why: GiveUp,
    invocations: i64,
) {
    if records.is_empty() {
        return;
    }
    tracing::warn!(function = %mapping.source.function, records = records.len(), condition = why.condition(), "stream records given up");
    let Some(destination) = &mapping.on_failure else {
        return;
    };
    let record = on_failure_record(mapping, shard_id, records, why, invocations);
    if let Err(error) = destination
        .sqs
        .send_message()
        .queue_url(&destination.url)
        .message_body(record.to_string())
        .send()
        .await
    {
        tracing::error!(queue = %destination.url, error = %aws_sdk_sqs::error::DisplayErrorContext(&error), "the on-failure destination refused a record");
    }
}

/// Whether a record is older than the mapping's `MaximumRecordAgeInSeconds`.
pub(super) fn too_old(record: &Value, max_age_secs: i64, now: f64) -> bool {
    max_age_secs >= 0
        && record["dynamodb"]["ApproximateCreationDateTime"]
            .as_f64()
            .is_some_and(|created| now - created > max_age_secs as f64)
}
