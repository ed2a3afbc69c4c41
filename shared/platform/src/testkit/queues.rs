//! The queues a test sends to on moto (`AWS_ENDPOINT_URL_SQS`, default
//! `http://127.0.0.1:5000`): every queue is fresh and uniquely named, so
//! tests run side by side, and reading one drains it.

use aws_sdk_sqs::types::Message;
use aws_sdk_sqs::Client;
use opsflow_platform::domain::EntityId;

/// A client of the SQS emulator.
pub async fn sqs_client() -> Client {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SQS")
        .unwrap_or_else(|_| "http://127.0.0.1:5000".to_owned());
    let config = opsflow_platform::store::emulator_sdk_config(&endpoint, "us-east-1").await;
    Client::new(&config)
}

/// A fresh queue whose name starts with `name`; its URL.
pub async fn fresh_queue(client: &Client, name: &str) -> String {
    client
        .create_queue()
        .queue_name(format!("{name}-{}", EntityId::new()))
        .send()
        .await
        .expect("moto must be running: run `make emulators`")
        .queue_url
        .expect("a queue url")
}

/// Every message waiting on the queue at `url`, with its attributes.
pub async fn drain(client: &Client, url: &str) -> Vec<Message> {
    let mut all = Vec::new();
    loop {
        let batch = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

/// `envelopes` as an SQS queue delivers them to a consumer: one batch,
/// each message's body an envelope, its id `message-<n>` (the position in
/// the batch, which a consumer's batch item failures name).
pub fn sqs_batch<'a>(
    envelopes: impl IntoIterator<Item = &'a serde_json::Value>,
) -> aws_lambda_events::event::sqs::SqsEvent {
    let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
    event.records = envelopes
        .into_iter()
        .enumerate()
        .map(|(i, envelope)| {
            let mut message = aws_lambda_events::event::sqs::SqsMessage::default();
            message.message_id = Some(format!("message-{i}"));
            message.body = Some(envelope.to_string());
            message
        })
        .collect();
    event
}
