//! The event pipeline against moto (SQS) and DynamoDB Local: the router
//! forwards every outbox envelope to every queue and says which stream
//! record to retry from; the audit writer writes one record per event,
//! however often it is delivered, and isolates poisoned messages.

use crate::helpers::queues::{drain, fresh_queue, sqs_client};
use crate::helpers::{fixture, fresh_table, scan, EMULATOR_DOWN};
use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use opsflow_audit::pipeline::audit_writer;
use opsflow_platform::domain::EntityId;
use opsflow_platform::pipeline::router::{EventQueue, Router};
use opsflow_platform::store::{schema, Store};
use serde_json::Value;

fn stream_event() -> StreamEvent {
    serde_json::from_value(fixture("event-router/stream")).expect("a stream event")
}

#[tokio::test]
async fn the_router_sends_every_envelope_to_every_queue_in_order() {
    let client = sqs_client().await;
    let urls = vec![
        fresh_queue(&client, "audit").await,
        fresh_queue(&client, "automation").await,
        fresh_queue(&client, "webhooks").await,
    ];
    let quarantine = fresh_queue(&client, "quarantine").await;
    let queues = urls.iter().map(EventQueue::every_event).collect();
    let router = Router::new(client.clone(), queues, quarantine.clone());
    let response = router.route(&stream_event()).await;
    assert!(response.batch_item_failures.is_empty());
    for url in &urls {
        let messages = drain(&client, url).await;
        let types: Vec<String> = messages
            .iter()
            .map(|m| {
                let envelope: Value =
                    serde_json::from_str(m.body().unwrap_or_default()).expect("JSON");
                envelope["type"].as_str().unwrap_or_default().to_owned()
            })
            .collect();
        assert_eq!(types, ["user.registered", "user.role_changed"], "{url}");
        let attribute = messages[0]
            .message_attributes()
            .and_then(|a| a.get("event_type"))
            .and_then(|v| v.string_value());
        assert_eq!(attribute, Some("user.registered"));
    }
}

#[tokio::test]
async fn an_unreachable_queue_makes_the_router_retry_from_the_first_record() {
    let client = sqs_client().await;
    let good = fresh_queue(&client, "audit").await;
    let missing = format!("{}-gone", good);
    let quarantine = fresh_queue(&client, "quarantine").await;
    let router = Router::new(
        client.clone(),
        vec![
            EventQueue::every_event(&good),
            EventQueue::every_event(missing),
        ],
        quarantine.clone(),
    );
    let event = stream_event();
    let response = router.route(&event).await;
    let failed: Vec<Option<String>> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    let first_event_sequence = event.records[0].change.sequence_number.clone();
    assert_eq!(failed, [first_event_sequence]);
    // The reachable queue got them; the retry may send them again, which the
    // consumers absorb.
    assert_eq!(drain(&client, &good).await.len(), 2);
}

/// The fixture with its first event reported by a client.
fn stream_event_with_a_client_report() -> StreamEvent {
    let mut event = fixture("event-router/stream");
    let image = &mut event["Records"][0]["dynamodb"]["NewImage"];
    let mut envelope: Value =
        serde_json::from_str(image["envelope"]["S"].as_str().expect("an envelope")).expect("JSON");
    envelope["type"] = "client.created".into();
    envelope["entity"] = "approval".into();
    image["event_type"]["S"] = "client.created".into();
    image["envelope"]["S"] = envelope.to_string().into();
    serde_json::from_value(event).expect("a stream event")
}

#[tokio::test]
async fn client_reports_reach_the_audit_queue_but_never_the_automation_queue() {
    let client = sqs_client().await;
    let audit = fresh_queue(&client, "audit").await;
    let automation = fresh_queue(&client, "automation").await;
    let quarantine = fresh_queue(&client, "quarantine").await;
    let router = Router::new(
        client.clone(),
        vec![
            EventQueue::every_event(&audit),
            EventQueue::platform_events(&automation),
        ],
        quarantine.clone(),
    );
    let response = router.route(&stream_event_with_a_client_report()).await;
    assert!(response.batch_item_failures.is_empty());
    let types = |messages: Vec<aws_sdk_sqs::types::Message>| -> Vec<String> {
        messages
            .iter()
            .map(|m| {
                let envelope: Value =
                    serde_json::from_str(m.body().unwrap_or_default()).expect("JSON");
                envelope["type"].as_str().unwrap_or_default().to_owned()
            })
            .collect()
    };
    assert_eq!(
        types(drain(&client, &audit).await),
        ["client.created", "user.role_changed"]
    );
    assert_eq!(
        types(drain(&client, &automation).await),
        ["user.role_changed"]
    );
    assert!(drain(&client, &quarantine).await.is_empty());
}

#[tokio::test]
async fn ten_large_envelopes_reach_the_queue_in_batches_sized_by_bytes() {
    // Ten of 110 KiB: over any batch limit together (moto, like SQS, refuses
    // a batch over 1 MiB), each well within one message.
    let client = sqs_client().await;
    let audit = fresh_queue(&client, "audit").await;
    let quarantine = fresh_queue(&client, "quarantine").await;
    let mut event = fixture("event-router/stream");
    let template = event["Records"][0].clone();
    let records: Vec<Value> = (0..10)
        .map(|i| {
            let mut record = template.clone();
            let image = &mut record["dynamodb"]["NewImage"];
            let mut envelope: Value =
                serde_json::from_str(image["envelope"]["S"].as_str().expect("an envelope"))
                    .expect("JSON");
            envelope["id"] = EntityId::new().to_string().into();
            envelope["data"]["notes"] = "n".repeat(110 * 1024).into();
            image["envelope"]["S"] = envelope.to_string().into();
            record["dynamodb"]["SequenceNumber"] = format!("2000000000000000000{i:02}").into();
            record
        })
        .collect();
    event["Records"] = Value::Array(records);
    let event: StreamEvent = serde_json::from_value(event).expect("a stream event");
    let router = Router::new(
        client.clone(),
        vec![EventQueue::every_event(&audit)],
        quarantine.clone(),
    );
    let response = router.route(&event).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(drain(&client, &audit).await.len(), 10);
    assert!(drain(&client, &quarantine).await.is_empty());
}

struct AuditTable {
    store: Store,
    client: aws_sdk_dynamodb::Client,
    name: String,
}

impl AuditTable {
    async fn new() -> Self {
        let (_, client, name) = fresh_table("opsflow-audit-test").await;
        schema::create_audit_table(&client, &name)
            .await
            .expect(EMULATOR_DOWN);
        Self {
            store: Store::new(client.clone(), &name),
            client,
            name,
        }
    }

    async fn records(&self) -> Vec<Value> {
        scan(&self.client, &self.name)
            .await
            .into_iter()
            .map(|item| {
                let mut record: Value = serde_dynamo::from_item(item).expect("a record");
                // `details` is stored as its JSON text.
                let details = record["details"].as_str().expect("details as JSON text");
                record["details"] = serde_json::from_str(details).expect("JSON");
                record
            })
            .collect()
    }

    async fn drop_table(self) {
        let _ = schema::delete_table(&self.client, &self.name).await;
    }
}

fn sqs_event() -> SqsEvent {
    serde_json::from_value(fixture("audit-writer/sqs")).expect("an SQS event")
}

#[tokio::test]
async fn each_event_becomes_one_audit_record_however_often_it_arrives() {
    let table = AuditTable::new().await;
    let event = sqs_event();
    let first = audit_writer::write_batch(&table.store, &event).await;
    assert!(first.batch_item_failures.is_empty());
    let again = audit_writer::write_batch(&table.store, &event).await;
    assert!(again.batch_item_failures.is_empty());

    let mut records = table.records().await;
    records.sort_by_key(|r| r["timestamp"].as_str().unwrap_or_default().to_owned());
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["action"], "user.registered");
    assert_eq!(records[1]["action"], "user.role_changed");
    assert_eq!(
        records[1]["user_id"],
        "0193b2a4-0000-7000-8000-0000000000ad"
    );
    assert_eq!(
        records[1]["details"]["role"],
        serde_json::json!(["user", "approver"])
    );
    assert_eq!(records[1]["correlation_id"], "docs-example-0001");
    assert_eq!(records[1]["source"], "platform");
    table.drop_table().await;
}

#[tokio::test]
async fn a_poisoned_message_fails_alone() {
    let table = AuditTable::new().await;
    let mut event = sqs_event();
    event.records[0].body = Some("this is not an envelope".into());
    let poisoned = event.records[0].message_id.clone().unwrap_or_default();
    let response = audit_writer::write_batch(&table.store, &event).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, [poisoned.as_str()]);
    assert_eq!(table.records().await.len(), 1);
    table.drop_table().await;
}
