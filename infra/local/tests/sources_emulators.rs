//! Event source mappings against the real emulators (moto for SQS,
//! DynamoDB Local for streams), with a recording function in place of a
//! binary so every delivery can be counted.
//!
//! Invariant: each test uses its own queues and tables and stops its
//! mapping before it asserts.

mod support;

use aws_sdk_sqs::types::QueueAttributeName;
use opsflow_local::sources::{sqs, stream, Wiring};
use opsflow_local::template::{SqsSource, StreamSource};
use opsflow_local::{Handle, InvokeOutcome};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{
    create_queue, put_item, queue_arn, queue_depth, receive, send, sqs_source, stream_source,
    table_with_stream, wait_until, REGION,
};
use tokio::sync::watch;

/// How often the tests look again while they wait.
const POLL: Duration = Duration::from_millis(200);

/// A mapping's wiring to this in-process function.
fn wiring<F: Handle>(function: &Arc<F>, shutdown: watch::Receiver<bool>) -> Wiring {
    Wiring {
        invoker: function.clone(),
        shutdown,
    }
}

/// The records of an event (SQS messages or stream records).
fn records(event: &Value) -> impl Iterator<Item = &Value> {
    event["Records"].as_array().into_iter().flatten()
}

/// Records every event; fails (as a reported batch item failure) each SQS
/// record whose body starts with "fail".
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<Value>>,
}

impl Recorder {
    fn records(&self) -> Vec<Value> {
        let events = self.events.lock().expect("not poisoned");
        events.iter().flat_map(records).cloned().collect()
    }
}

impl Handle for Recorder {
    async fn handle(&self, _function: &str, payload: Vec<u8>) -> InvokeOutcome {
        let event: Value = serde_json::from_slice(&payload).expect("a JSON event");
        let failures: Vec<Value> = records(&event)
            .filter(|r| r["body"].as_str().is_some_and(|b| b.starts_with("fail")))
            .map(|r| json!({"itemIdentifier": r["messageId"]}))
            .collect();
        self.events.lock().expect("not poisoned").push(event);
        InvokeOutcome::Success(
            json!({"batchItemFailures": failures})
                .to_string()
                .into_bytes(),
        )
    }
}

#[tokio::test]
async fn partial_batch_failures_retry_only_the_failed_messages_until_the_dlq() {
    let client = support::sqs().await;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let dlq_url = create_queue(&client, format!("sources-dlq-{id}"), &[]).await;
    let dlq_arn = queue_arn(&client, &dlq_url).await;
    let max_receive = 3;
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive});
    let queue_url = create_queue(
        &client,
        format!("sources-{id}"),
        &[
            (QueueAttributeName::VisibilityTimeout, "1".into()),
            (QueueAttributeName::RedrivePolicy, redrive.to_string()),
        ],
    )
    .await;
    let mut bodies = Vec::new();
    for i in 0..12 {
        let body = if i % 4 == 0 {
            format!("fail {i}")
        } else {
            format!("ok {i}")
        };
        send(&client, &queue_url, &body).await;
        bodies.push(body);
    }

    let recorder = Arc::new(Recorder::default());
    let (stop, stop_rx) = watch::channel(false);
    let mapping = sqs::SqsMapping {
        source: SqsSource {
            batch_size: 5,
            ..sqs_source("Consumer", "Queue")
        },
        queue_url: queue_url.clone(),
        queue_arn: "arn:aws:sqs:us-east-1:123456789012:sources".into(),
        region: REGION.into(),
    };
    let task = tokio::spawn(sqs::run(
        mapping,
        client.clone(),
        wiring(&recorder, stop_rx),
    ));

    let (c, main, dlq) = (&client, &queue_url, &dlq_url);
    let drained = wait_until(Duration::from_secs(45), POLL, || async move {
        queue_depth(c, main).await == 0 && queue_depth(c, dlq).await == 3
    })
    .await;
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(25), task).await;
    assert!(
        drained,
        "the queue drained into the DLQ: {} deliveries",
        recorder.records().len()
    );

    let mut deliveries: HashMap<String, usize> = HashMap::new();
    for record in recorder.records() {
        assert_eq!(record["eventSource"], "aws:sqs");
        *deliveries
            .entry(record["body"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    for body in &bodies {
        let count = deliveries.get(body).copied().unwrap_or(0);
        if body.starts_with("ok") {
            assert_eq!(count, 1, "{body} was delivered exactly once");
        } else {
            assert_eq!(
                count, max_receive,
                "{body} was retried up to maxReceiveCount"
            );
        }
    }
    let in_dlq = receive(&client, &dlq_url).await;
    let mut dead: Vec<String> = in_dlq
        .iter()
        .filter_map(|m| m.body().map(str::to_owned))
        .collect();
    dead.sort();
    assert_eq!(dead, ["fail 0", "fail 4", "fail 8"]);
    for url in [queue_url, dlq_url] {
        let _ = client.delete_queue().queue_url(url).send().await;
    }
}

#[tokio::test]
async fn the_stream_mapping_delivers_only_records_that_pass_the_filter_in_order() {
    let dynamodb = support::dynamodb().await;
    let table = format!("sources-stream-{}", uuid::Uuid::new_v4().simple());
    let stream_arn = table_with_stream(&dynamodb, &table).await;

    let recorder = Arc::new(Recorder::default());
    let (stop, stop_rx) = watch::channel(false);
    let mapping = stream::StreamMapping {
        source: StreamSource {
            batch_size: 10,
            filter_patterns: vec![json!({"dynamodb": {"NewImage": {"type": {"S": ["event"]}}}})],
            ..stream_source("Router", "MainTable")
        },
        stream_arn,
        region: REGION.into(),
        on_failure: None,
    };
    let task = tokio::spawn(stream::run(
        mapping,
        support::streams().await,
        wiring(&recorder, stop_rx),
    ));
    for i in 0..6 {
        let kind = if i % 2 == 0 { "event" } else { "user" };
        let key = format!("ITEM#{i}");
        put_item(
            &dynamodb,
            &table,
            &[("pk", &key), ("sk", "X"), ("type", kind)],
        )
        .await;
    }
    let delivered = wait_until(Duration::from_secs(20), POLL, || {
        std::future::ready(recorder.records().len() >= 3)
    })
    .await;
    // A little longer, to see that nothing else arrives.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    assert!(delivered, "the event items were delivered");
    let keys: Vec<String> = recorder
        .records()
        .iter()
        .map(|r| {
            assert_eq!(r["eventSource"], "aws:dynamodb");
            assert_eq!(r["dynamodb"]["NewImage"]["type"]["S"], "event");
            r["dynamodb"]["Keys"]["pk"]["S"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(keys, ["ITEM#0", "ITEM#2", "ITEM#4"]);
    let _ = opsflow_platform::store::schema::delete_table(&dynamodb, &table).await;
}

/// Fails as a whole (a function error) every invocation whose batch holds
/// the poisoned item; records what each invocation got and how it ended.
#[derive(Default)]
struct PoisonCrasher {
    invocations: Mutex<Vec<(Vec<String>, bool)>>,
}

impl PoisonCrasher {
    fn invocations(&self) -> Vec<(Vec<String>, bool)> {
        self.invocations.lock().expect("not poisoned").clone()
    }
}

impl Handle for PoisonCrasher {
    async fn handle(&self, _function: &str, payload: Vec<u8>) -> InvokeOutcome {
        let event: Value = serde_json::from_slice(&payload).expect("a JSON event");
        let keys: Vec<String> = records(&event)
            .filter_map(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str().map(str::to_owned))
            .collect();
        let crash = keys.iter().any(|k| k == "ITEM#poison");
        self.invocations
            .lock()
            .expect("not poisoned")
            .push((keys, crash));
        if crash {
            InvokeOutcome::FunctionError {
                error_type: "Runtime.ExitError".into(),
                error_message: "injected".into(),
            }
        } else {
            InvokeOutcome::Success(b"{}".to_vec())
        }
    }
}

#[tokio::test]
async fn a_stream_batch_that_keeps_failing_is_bisected_and_its_poison_given_up_to_the_on_failure_queue(
) {
    let dynamodb = support::dynamodb().await;
    let sqs = support::sqs().await;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let table = format!("sources-bisect-{run}");
    let stream_arn = table_with_stream(&dynamodb, &table).await;
    let on_failure_url = create_queue(&sqs, format!("sources-on-failure-{run}"), &[]).await;
    let keys: Vec<String> = (0..8)
        .map(|i| {
            if i == 3 {
                "ITEM#poison".to_owned()
            } else {
                format!("ITEM#{i}")
            }
        })
        .collect();
    for key in &keys {
        put_item(&dynamodb, &table, &[("pk", key), ("sk", "X")]).await;
    }

    let crasher = Arc::new(PoisonCrasher::default());
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(stream::run(
        stream::StreamMapping {
            source: StreamSource {
                batch_size: 8,
                maximum_retry_attempts: 1,
                bisect_batch_on_function_error: true,
                on_failure: Some("OnFailure".into()),
                ..stream_source("Router", "MainTable")
            },
            stream_arn: stream_arn.clone(),
            region: REGION.into(),
            on_failure: Some(stream::OnFailureQueue {
                sqs: sqs.clone(),
                url: on_failure_url.clone(),
            }),
        },
        support::streams().await,
        wiring(&crasher, stop_rx),
    ));
    let expected = keys.len() - 1;
    let settled = wait_until(Duration::from_secs(30), POLL, || {
        let delivered = crasher
            .invocations()
            .iter()
            .filter(|(_, crashed)| !crashed)
            .map(|(keys, _)| keys.len())
            .sum::<usize>();
        std::future::ready(delivered >= expected)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    let described = receive(&sqs, &on_failure_url).await;
    let _ = sqs.delete_queue().queue_url(&on_failure_url).send().await;
    let _ = opsflow_platform::store::schema::delete_table(&dynamodb, &table).await;

    // Every other record was delivered in a successful invocation, once.
    assert!(settled, "{:?}", crasher.invocations());
    let mut delivered: Vec<String> = crasher
        .invocations()
        .into_iter()
        .filter(|(_, crashed)| !crashed)
        .flat_map(|(keys, _)| keys)
        .collect();
    delivered.sort();
    let mut others: Vec<String> = keys
        .iter()
        .filter(|k| !k.ends_with("poison"))
        .cloned()
        .collect();
    others.sort();
    assert_eq!(delivered, others);
    // Bisection isolated the poison: the last failed invocations held it
    // alone, retried as many times as the mapping allows.
    let alone = crasher
        .invocations()
        .iter()
        .filter(|(keys, crashed)| *crashed && keys.len() == 1)
        .count();
    assert_eq!(alone, 2, "{:?}", crasher.invocations());
    // What was given up is described, as Lambda describes it.
    assert_eq!(described.len(), 1);
    let record: Value =
        serde_json::from_str(described[0].body().unwrap_or_default()).expect("a JSON record");
    assert_eq!(
        record["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    let info = &record["DDBStreamBatchInfo"];
    assert_eq!(info["batchSize"], 1);
    assert_eq!(info["streamArn"], stream_arn.as_str());
    assert_eq!(info["startSequenceNumber"], info["endSequenceNumber"]);
    assert!(info["shardId"].as_str().is_some_and(|s| !s.is_empty()));
}
