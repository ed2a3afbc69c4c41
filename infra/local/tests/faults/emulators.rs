//! The test's own tables and queues on DynamoDB Local and moto, laid out
//! as `template.yaml` lays out the real ones, and the reads the test checks
//! them with.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, QueueAttributeName};
use opsflow_platform::pipeline::router::EventQueue;
use opsflow_platform::store::{emulator_sdk_config, schema};
use serde_json::json;
use std::collections::HashMap;

pub fn endpoint(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

pub struct Resources {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub moto: String,
    /// The entity table (NEW_IMAGE stream) and its stream.
    pub entity_table: String,
    pub stream_arn: String,
    pub audit_table: String,
    /// The audit queue, redriven to `audit_dlq_url` after
    /// `maxReceiveCount` receives.
    pub audit_url: String,
    pub audit_arn: String,
    pub audit_dlq_url: String,
    pub automation_url: String,
    pub webhooks_url: String,
    pub quarantine_url: String,
}

impl Resources {
    /// Creates uniquely named tables and queues for run `run`. The audit
    /// queue's visibility timeout is `visibility_secs`.
    pub async fn create(run: &str, max_receive_count: u32, visibility_secs: u32) -> Self {
        let moto = endpoint("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000");
        let dynamodb_config = emulator_sdk_config(
            &endpoint("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"),
            "us-east-1",
        )
        .await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&dynamodb_config);
        let streams = aws_sdk_dynamodbstreams::Client::new(&dynamodb_config);
        let sqs = aws_sdk_sqs::Client::new(&emulator_sdk_config(&moto, "us-east-1").await);

        let entity_table = format!("faults-entities-{run}");
        let audit_table = format!("faults-audit-{run}");
        schema::create_entity_table(&dynamodb, &entity_table)
            .await
            .expect("DynamoDB Local must be running: run `make emulators`");
        schema::create_audit_table(&dynamodb, &audit_table)
            .await
            .expect("create the audit table");
        let stream_arn = dynamodb
            .describe_table()
            .table_name(&entity_table)
            .send()
            .await
            .expect("describe the entity table")
            .table()
            .and_then(|t| t.latest_stream_arn().map(str::to_owned))
            .expect("the entity table has a stream");

        let audit_dlq_url = create_queue(&sqs, format!("faults-audit-dlq-{run}"), &[]).await;
        let redrive = json!({
            "deadLetterTargetArn": queue_arn(&sqs, &audit_dlq_url).await,
            "maxReceiveCount": max_receive_count,
        });
        let audit_url = create_queue(
            &sqs,
            format!("faults-audit-{run}"),
            &[
                (
                    QueueAttributeName::VisibilityTimeout,
                    visibility_secs.to_string(),
                ),
                (QueueAttributeName::RedrivePolicy, redrive.to_string()),
            ],
        )
        .await;
        let audit_arn = queue_arn(&sqs, &audit_url).await;
        let automation_url = create_queue(&sqs, format!("faults-automation-{run}"), &[]).await;
        let webhooks_url = create_queue(&sqs, format!("faults-webhooks-{run}"), &[]).await;
        let quarantine_url = create_queue(&sqs, format!("faults-quarantine-{run}"), &[]).await;
        Self {
            dynamodb,
            streams,
            sqs,
            moto,
            entity_table,
            stream_arn,
            audit_table,
            audit_url,
            audit_arn,
            audit_dlq_url,
            automation_url,
            webhooks_url,
            quarantine_url,
        }
    }

    /// The router's destinations, as `event-router`'s main sets them up.
    pub fn event_queues(&self) -> Vec<EventQueue> {
        vec![
            EventQueue::every_event(&self.audit_url),
            EventQueue::platform_events(&self.automation_url),
            EventQueue::every_event(&self.webhooks_url),
        ]
    }

    /// Every audit record as (event id, action, source); a Scan, which
    /// only a test may do.
    pub async fn audit_records(&self) -> Vec<(String, String, String)> {
        let text = |item: &HashMap<String, AttributeValue>, name: &str| {
            item.get(name)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .dynamodb
                .scan()
                .table_name(&self.audit_table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan the audit table");
            for item in page.items.unwrap_or_default() {
                records.push((
                    text(&item, "id"),
                    text(&item, "action"),
                    text(&item, "source"),
                ));
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return records;
            }
        }
    }

    /// Messages in a queue, visible or in flight.
    pub async fn queue_depth(&self, url: &str) -> usize {
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("queue attributes");
        attributes
            .attributes()
            .map(|a| a.values().filter_map(|v| v.parse::<usize>().ok()).sum())
            .unwrap_or(0)
    }

    /// Receives and deletes what a queue holds now, counting each body.
    pub async fn drain_into(&self, url: &str, bodies: &mut HashMap<String, u32>) {
        loop {
            let messages = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive")
                .messages
                .unwrap_or_default();
            if messages.is_empty() {
                return;
            }
            let mut entries = Vec::new();
            for (i, message) in messages.iter().enumerate() {
                *bodies
                    .entry(message.body().unwrap_or_default().to_owned())
                    .or_default() += 1;
                entries.push(
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .set_receipt_handle(message.receipt_handle().map(str::to_owned))
                        .build()
                        .expect("a delete entry"),
                );
            }
            self.sqs
                .delete_message_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await
                .expect("delete what was received");
        }
    }

    pub async fn delete(self) {
        for url in [
            &self.audit_url,
            &self.audit_dlq_url,
            &self.automation_url,
            &self.webhooks_url,
            &self.quarantine_url,
        ] {
            let _ = self.sqs.delete_queue().queue_url(url).send().await;
        }
        for table in [&self.entity_table, &self.audit_table] {
            let _ = schema::delete_table(&self.dynamodb, table).await;
        }
    }
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    name: String,
    attributes: &[(QueueAttributeName, String)],
) -> String {
    let mut request = client.create_queue().queue_name(name);
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

async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> String {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("a queue arn")
}
