//! What the emulator tests share: clients of DynamoDB Local and moto (at
//! `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS`, else their default
//! ports; moto's URL serves its S3 and SES too), the queue and table steps
//! they set up and read back with, event source definitions with Lambda's
//! defaults, and polling until a condition holds. Invariant: every helper fails with a message naming the step
//! (and the emulator to start) instead of returning a default, and names
//! nothing: each test picks its own unique resource names.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::{Message, QueueAttributeName};
use opsflow_local::resources::EmulatorClients;
use opsflow_local::template::{SqsSource, StreamSource};
use opsflow_platform::store::emulator_sdk_config;
use std::time::{Duration, Instant};

/// The region every emulator client uses.
pub const REGION: &str = "us-east-1";

/// An emulator's URL from `variable`, else `default`.
pub fn endpoint(variable: &str, default: &str) -> String {
    std::env::var(variable)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// moto's URL.
pub fn moto_endpoint() -> String {
    endpoint("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000")
}

fn dynamodb_endpoint() -> String {
    endpoint("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
}

pub async fn dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&emulator_sdk_config(&dynamodb_endpoint(), REGION).await)
}

/// A client of DynamoDB Local's streams.
pub async fn streams() -> aws_sdk_dynamodbstreams::Client {
    aws_sdk_dynamodbstreams::Client::new(&emulator_sdk_config(&dynamodb_endpoint(), REGION).await)
}

/// Every emulator client `create_all` takes, in [`REGION`] (S3
/// path-style, as moto needs).
pub async fn clients() -> EmulatorClients {
    clients_in(REGION).await
}

/// Every emulator client `create_all` takes, in `region`.
pub async fn clients_in(region: &str) -> EmulatorClients {
    EmulatorClients::connect(&dynamodb_endpoint(), &moto_endpoint(), region).await
}

pub async fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&emulator_sdk_config(&moto_endpoint(), REGION).await)
}

/// Creates a queue with these attributes; its URL.
pub async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: String,
    attributes: &[(QueueAttributeName, String)],
) -> String {
    let mut request = sqs.create_queue().queue_name(name);
    for (attribute, value) in attributes {
        request = request.attributes(attribute.clone(), value);
    }
    request
        .send()
        .await
        .expect("moto must be running: run `make emulators`")
        .queue_url
        .expect("a queue url")
}

/// The queue's attributes (all of them).
pub async fn queue_attributes(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
) -> std::collections::HashMap<QueueAttributeName, String> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes
        .unwrap_or_default()
}

pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    queue_attributes(sqs, url)
        .await
        .remove(&QueueAttributeName::QueueArn)
        .expect("a queue arn")
}

/// Messages in a queue, visible or in flight.
pub async fn queue_depth(sqs: &aws_sdk_sqs::Client, url: &str) -> usize {
    let attributes = queue_attributes(sqs, url).await;
    [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    ]
    .iter()
    .filter_map(|name| attributes.get(name)?.parse::<usize>().ok())
    .sum()
}

pub async fn send(sqs: &aws_sdk_sqs::Client, url: &str, body: &str) {
    sqs.send_message()
        .queue_url(url)
        .message_body(body)
        .send()
        .await
        .expect("SendMessage");
}

/// Up to ten messages the queue holds now (left in it, invisible for the
/// queue's visibility timeout).
pub async fn receive(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Message> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("ReceiveMessage")
        .messages
        .unwrap_or_default()
}

/// Puts an item of string attributes.
pub async fn put_item(dynamodb: &aws_sdk_dynamodb::Client, table: &str, item: &[(&str, &str)]) {
    let mut request = dynamodb.put_item().table_name(table);
    for (name, value) in item {
        request = request.item(*name, AttributeValue::S((*value).to_owned()));
    }
    request.send().await.expect("PutItem");
}

/// Creates an entity table (with its stream); returns the stream's ARN.
pub async fn table_with_stream(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> String {
    opsflow_platform::store::schema::create_entity_table(dynamodb, table)
        .await
        .expect("DynamoDB Local must be running: run `make emulators`");
    dynamodb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("DescribeTable")
        .table()
        .and_then(|t| t.latest_stream_arn().map(str::to_owned))
        .expect("the table has a stream")
}

/// Runs `step` every `every` until it returns `true` or `limit` has passed;
/// whether it did. `step` may hold on to what it collects between runs.
pub async fn wait_until(
    limit: Duration,
    every: Duration,
    mut step: impl AsyncFnMut() -> bool,
) -> bool {
    let started = Instant::now();
    loop {
        if step().await {
            return true;
        }
        if started.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(every).await;
    }
}

/// An SQS event source of `function` on `queue` that reports batch item
/// failures (as every mapping of the template does), with Lambda's defaults
/// otherwise.
pub fn sqs_source(function: &str, queue: &str) -> SqsSource {
    SqsSource {
        function: function.into(),
        queue: queue.into(),
        batch_size: 10,
        batching_window_secs: 0,
        report_batch_item_failures: true,
        maximum_concurrency: None,
        enabled: true,
    }
}

/// A DynamoDB stream event source of `function` on `table`, from the trim
/// horizon, that reports batch item failures (as every mapping of the
/// template does), with Lambda's defaults otherwise.
pub fn stream_source(function: &str, table: &str) -> StreamSource {
    StreamSource {
        function: function.into(),
        table: table.into(),
        batch_size: 100,
        starting_position: "TRIM_HORIZON".into(),
        filter_patterns: Vec::new(),
        report_batch_item_failures: true,
        maximum_retry_attempts: -1,
        maximum_record_age_secs: -1,
        bisect_batch_on_function_error: false,
        on_failure: None,
        enabled: true,
    }
}
