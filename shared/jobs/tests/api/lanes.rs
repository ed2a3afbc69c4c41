//! The event router's jobs lanes on moto: each `job.queued` event reaches
//! the queue of its priority, held back by SQS until the job is due; other
//! events reach neither.

use crate::create;
use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use opsflow_jobs::lanes::LANES;
use opsflow_platform::domain::Role;
use opsflow_platform::pipeline::router::{Lane, Router};
use opsflow_platform::testkit::queues::{drain, fresh_queue, sqs_client};
use serde_json::{json, Value};

/// A stream batch holding `envelopes` as the table's outbox items.
fn stream_of(envelopes: &[Value]) -> StreamEvent {
    let recorded: Value =
        serde_json::from_str(include_str!("../../../../events/event-router/stream.json")).unwrap();
    let template = recorded["Records"][0].clone();
    let records: Vec<Value> = envelopes
        .iter()
        .enumerate()
        .map(|(i, envelope)| {
            let mut record = template.clone();
            let image = &mut record["dynamodb"]["NewImage"];
            image["event_type"] = json!({"S": envelope["type"]});
            image["envelope"] = json!({"S": envelope.to_string()});
            record["dynamodb"]["SequenceNumber"] = json!(format!("{}", 200 + i));
            record
        })
        .collect();
    serde_json::from_value(json!({"Records": records})).unwrap()
}

#[tokio::test]
async fn each_queued_job_reaches_the_queue_of_its_priority_when_due() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let job = |priority: u8, delay: u32| json!({"type": "cleanup", "data": {}, "priority": priority, "delay_seconds": delay});
    let normal_job = create(&env, &admin, job(3, 0)).await;
    let high_job = create(&env, &admin, job(9, 0)).await;
    let later_job = create(&env, &admin, job(5, 60)).await;
    let queued = env.events_of_type("job.queued").await;
    let event_of = |job: &Value| {
        queued
            .iter()
            .find(|e| e["entity_id"] == job["id"])
            .unwrap()
            .clone()
    };
    let mut other = event_of(&normal_job);
    other["type"] = json!("job.started");

    let sqs = sqs_client().await;
    let normal = fresh_queue(&sqs, "jobs").await;
    let high = fresh_queue(&sqs, "jobs-high").await;
    let quarantine = fresh_queue(&sqs, "quarantine").await;
    let lanes = vec![
        Lane {
            url: normal.clone(),
            takes: LANES[0].takes,
        },
        Lane {
            url: high.clone(),
            takes: LANES[1].takes,
        },
    ];
    let router = Router::new(sqs.clone(), Vec::new(), quarantine.clone()).with_lanes(lanes);
    let batch = stream_of(&[
        event_of(&normal_job),
        event_of(&high_job),
        event_of(&later_job),
        other,
    ]);
    let response = router.route(&batch).await;
    assert!(response.batch_item_failures.is_empty());

    let ids = |messages: Vec<aws_sdk_sqs::types::Message>| -> Vec<String> {
        messages
            .iter()
            .map(|m| {
                let body: Value = serde_json::from_str(m.body().unwrap()).unwrap();
                body["data"]["id"].as_str().unwrap().to_owned()
            })
            .collect()
    };
    assert_eq!(
        ids(drain(&sqs, &normal).await),
        [normal_job["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(drain(&sqs, &high).await),
        [high_job["id"].as_str().unwrap()]
    );
    // The job due in a minute waits in its queue, held back by SQS.
    let waiting = sqs
        .get_queue_attributes()
        .queue_url(&normal)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .unwrap();
    let delayed = waiting
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        })
        .cloned();
    assert_eq!(delayed.as_deref(), Some("1"));
    assert!(drain(&sqs, &quarantine).await.is_empty());
}
