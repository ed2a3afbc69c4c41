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
