//! The test's own tables and queues on DynamoDB Local and moto, laid out
//! as `template.yaml` lays out the real ones, and the reads the test checks
//! them with.
//!
//! Invariant: names are unique per run, and `delete` removes all that
//! `create` made.

use super::functions::{AuditWriterFunction, RouterFunction};
use crate::support::{self, create_queue, queue_arn, receive, table_with_stream};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, QueueAttributeName};
use opsflow_platform::pipeline::router::{EventQueue, Router};
use opsflow_platform::store::{schema, Store};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

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
        let moto = support::moto_endpoint();
        let dynamodb = support::dynamodb().await;
        let streams = support::streams().await;
        let sqs = support::sqs().await;

        let entity_table = format!("faults-entities-{run}");
        let audit_table = format!("faults-audit-{run}");
        let stream_arn = table_with_stream(&dynamodb, &entity_table).await;
        schema::create_audit_table(&dynamodb, &audit_table)
            .await
            .expect("create the audit table");

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

    /// The real router, sending with `sqs` to this run's queues.
    pub fn router(&self, sqs: aws_sdk_sqs::Client) -> Arc<RouterFunction> {
        let router = Router::new(sqs, self.event_queues(), self.quarantine_url.clone());
        Arc::new(RouterFunction::new(router))
    }

    /// The real audit writer on this run's audit table, failing the first
    /// `failures` deliveries of each `flaky` envelope.
    pub fn audit_writer(&self, flaky: HashSet<String>, failures: u32) -> Arc<AuditWriterFunction> {
        let store = Store::new(self.dynamodb.clone(), &self.audit_table);
        Arc::new(AuditWriterFunction::new(store, flaky, failures))
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
        support::queue_depth(&self.sqs, url).await
    }

    /// The ids of the events with an audit record.
    pub async fn audited(&self) -> HashSet<String> {
        let records = self.audit_records().await;
        records.into_iter().map(|(id, _, _)| id).collect()
    }

    /// Receives and deletes what a queue holds now; each body, counted.
    pub async fn drain(&self, url: &str) -> HashMap<String, u32> {
        let mut bodies = HashMap::new();
        self.drain_into(url, &mut bodies).await;
        bodies
    }

    /// Receives and deletes what a queue holds now, counting each body.
    pub async fn drain_into(&self, url: &str, bodies: &mut HashMap<String, u32>) {
        loop {
            let messages = receive(&self.sqs, url).await;
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
