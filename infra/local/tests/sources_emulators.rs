//! Event source mappings against the real emulators (moto for SQS,
//! DynamoDB Local for streams), with a recording function in place of a
//! binary so every delivery can be counted.

use opsflow_local::sources::{sqs, stream};
use opsflow_local::template::{SqsSource, StreamSource};
use opsflow_local::{Invoke, InvokeOutcome};
use opsflow_platform::store::emulator_sdk_config;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

fn endpoint(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

/// Records every event; fails (as a reported batch item failure) each SQS
/// record whose body starts with "fail".
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<Value>>,
}

impl Recorder {
    fn events(&self) -> Vec<Value> {
        self.events.lock().expect("not poisoned").clone()
    }

    fn records(&self) -> Vec<Value> {
        self.events()
            .iter()
            .flat_map(|e| e["Records"].as_array().cloned().unwrap_or_default())
            .collect()
    }
}

impl Invoke for Recorder {
    fn invoke<'a>(
        &'a self,
        _function: &'a str,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = InvokeOutcome> + Send + 'a>> {
        Box::pin(async move {
            let event: Value = serde_json::from_slice(&payload).expect("a JSON event");
            let failures: Vec<Value> = event["Records"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["body"].as_str().is_some_and(|b| b.starts_with("fail")))
                .map(|r| json!({"itemIdentifier": r["messageId"]}))
                .collect();
            self.events.lock().expect("not poisoned").push(event);
            InvokeOutcome::Success(
                json!({"batchItemFailures": failures})
                    .to_string()
                    .into_bytes(),
            )
        })
    }
}

/// Creates an entity table (with its stream); returns the stream's ARN.
async fn table_with_stream(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> String {
    opsflow_platform::store::schema::create_entity_table(dynamodb, table)
        .await
        .expect("create the table");
    dynamodb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("describe")
        .table()
        .and_then(|t| t.latest_stream_arn().map(str::to_owned))
        .expect("a stream")
}

async fn wait_until(
    limit: Duration,
    mut done: impl FnMut() -> Pin<Box<dyn Future<Output = bool> + Send>>,
) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

async fn queue_depth(client: &aws_sdk_sqs::Client, url: &str) -> usize {
    let attributes = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(
            aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        )
        .send()
        .await
        .expect("queue attributes");
    attributes
        .attributes()
        .map(|a| a.values().filter_map(|v| v.parse::<usize>().ok()).sum())
        .unwrap_or(0)
}

#[tokio::test]
async fn partial_batch_failures_retry_only_the_failed_messages_until_the_dlq() {
    let config = emulator_sdk_config(
        &endpoint("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000"),
        "us-east-1",
    )
    .await;
    let client = aws_sdk_sqs::Client::new(&config);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let dlq_url = client
        .create_queue()
        .queue_name(format!("sources-dlq-{id}"))
        .send()
        .await
        .expect("create the DLQ")
        .queue_url
        .expect("a DLQ url");
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("DLQ attributes")
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("a DLQ arn");
    let max_receive = 3;
    let queue_url = client
        .create_queue()
        .queue_name(format!("sources-{id}"))
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "1",
        )
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
            json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive}).to_string(),
        )
        .send()
        .await
        .expect("create the queue")
        .queue_url
        .expect("a queue url");
    let mut bodies = Vec::new();
    for i in 0..12 {
        let body = if i % 4 == 0 {
            format!("fail {i}")
        } else {
            format!("ok {i}")
        };
        client
            .send_message()
            .queue_url(&queue_url)
            .message_body(&body)
            .send()
            .await
            .expect("send");
        bodies.push(body);
    }

    let recorder = Arc::new(Recorder::default());
    let (stop, stop_rx) = watch::channel(false);
    let mapping = sqs::SqsMapping {
        source: SqsSource {
            function: "Consumer".into(),
            queue: "Queue".into(),
            batch_size: 5,
            batching_window_secs: 0,
            report_batch_item_failures: true,
            maximum_concurrency: None,
            enabled: true,
        },
        queue_url: queue_url.clone(),
        queue_arn: "arn:aws:sqs:us-east-1:123456789012:sources".into(),
        region: "us-east-1".into(),
    };
    let task = tokio::spawn(sqs::run(mapping, client.clone(), recorder.clone(), stop_rx));

    let (c, dlq, main) = (client.clone(), dlq_url.clone(), queue_url.clone());
    let drained = wait_until(Duration::from_secs(45), move || {
        let (c, dlq, main) = (c.clone(), dlq.clone(), main.clone());
        Box::pin(
            async move { queue_depth(&c, &main).await == 0 && queue_depth(&c, &dlq).await == 3 },
        )
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
    let in_dlq = client
        .receive_message()
        .queue_url(&dlq_url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("read the DLQ")
        .messages
        .unwrap_or_default();
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
    let endpoint = endpoint("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000");
    let config = emulator_sdk_config(&endpoint, "us-east-1").await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let table = format!("sources-stream-{}", uuid::Uuid::new_v4().simple());
    let stream_arn = table_with_stream(&dynamodb, &table).await;

    let recorder = Arc::new(Recorder::default());
    let (stop, stop_rx) = watch::channel(false);
    let mapping = stream::StreamMapping {
        source: StreamSource {
            function: "Router".into(),
            table: "MainTable".into(),
            batch_size: 10,
            starting_position: "TRIM_HORIZON".into(),
            filter_patterns: vec![json!({"dynamodb": {"NewImage": {"type": {"S": ["event"]}}}})],
            report_batch_item_failures: true,
            maximum_retry_attempts: -1,
            maximum_record_age_secs: -1,
            bisect_batch_on_function_error: false,
            on_failure: None,
            enabled: true,
        },
        stream_arn,
        region: "us-east-1".into(),
        on_failure: None,
    };
    let task = tokio::spawn(stream::run(
        mapping,
        aws_sdk_dynamodbstreams::Client::new(&config),
        recorder.clone(),
        stop_rx,
    ));
    for i in 0..6 {
        let kind = if i % 2 == 0 { "event" } else { "user" };
        dynamodb
            .put_item()
            .table_name(&table)
            .item(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("ITEM#{i}")),
            )
            .item("sk", aws_sdk_dynamodb::types::AttributeValue::S("X".into()))
            .item(
                "type",
                aws_sdk_dynamodb::types::AttributeValue::S(kind.into()),
            )
            .send()
            .await
            .expect("put");
    }
    let seen = recorder.clone();
    let delivered = wait_until(Duration::from_secs(20), move || {
        let n = seen.records().len();
        Box::pin(async move { n >= 3 })
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

impl Invoke for PoisonCrasher {
    fn invoke<'a>(
        &'a self,
        _function: &'a str,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = InvokeOutcome> + Send + 'a>> {
        Box::pin(async move {
            let event: Value = serde_json::from_slice(&payload).expect("a JSON event");
            let keys: Vec<String> = event["Records"]
                .as_array()
                .into_iter()
                .flatten()
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
        })
    }
}

#[tokio::test]
async fn a_stream_batch_that_keeps_failing_is_bisected_and_its_poison_given_up_to_the_on_failure_queue(
) {
    let dynamodb_config = emulator_sdk_config(
        &endpoint("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"),
        "us-east-1",
    )
    .await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&dynamodb_config);
    let sqs = aws_sdk_sqs::Client::new(
        &emulator_sdk_config(
            &endpoint("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000"),
            "us-east-1",
        )
        .await,
    );
    let run = uuid::Uuid::new_v4().simple().to_string();
    let table = format!("sources-bisect-{run}");
    let stream_arn = table_with_stream(&dynamodb, &table).await;
    let on_failure_url = sqs
        .create_queue()
        .queue_name(format!("sources-on-failure-{run}"))
        .send()
        .await
        .expect("moto must be running")
        .queue_url
        .expect("a queue url");
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
        dynamodb
            .put_item()
            .table_name(&table)
            .item(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(key.clone()),
            )
            .item("sk", aws_sdk_dynamodb::types::AttributeValue::S("X".into()))
            .send()
            .await
            .expect("put");
    }

    let crasher = Arc::new(PoisonCrasher::default());
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(stream::run(
        stream::StreamMapping {
            source: StreamSource {
                function: "Router".into(),
                table: "MainTable".into(),
                batch_size: 8,
                starting_position: "TRIM_HORIZON".into(),
                filter_patterns: Vec::new(),
                report_batch_item_failures: true,
                maximum_retry_attempts: 1,
                maximum_record_age_secs: -1,
                bisect_batch_on_function_error: true,
                on_failure: Some("OnFailure".into()),
                enabled: true,
            },
            stream_arn: stream_arn.clone(),
            region: "us-east-1".into(),
            on_failure: Some(stream::OnFailureQueue {
                sqs: sqs.clone(),
                url: on_failure_url.clone(),
            }),
        },
        aws_sdk_dynamodbstreams::Client::new(&dynamodb_config),
        crasher.clone(),
        stop_rx,
    ));
    let seen = crasher.clone();
    let expected = keys.len() - 1;
    let settled = wait_until(Duration::from_secs(30), move || {
        let delivered = seen
            .invocations()
            .iter()
            .filter(|(_, crashed)| !crashed)
            .map(|(keys, _)| keys.len())
            .sum::<usize>();
        Box::pin(async move { delivered >= expected })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    let described = sqs
        .receive_message()
        .queue_url(&on_failure_url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("read the on-failure queue")
        .messages
        .unwrap_or_default();
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
