//! The integration tests of `opsflow-insights`, one binary: each test runs
//! against DynamoDB Local on a table of its own, through the kernel's test
//! harness, with the approvals module whose events it scores.

#![allow(clippy::unwrap_used)]

mod analyzer;

/// What the tests use of the harness.
mod helpers {
    pub use opsflow_platform::testkit::*;
}

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use helpers::{Account, Call, Setup, TestEnv};
use opsflow_insights::pipeline::analyzer::analyze_batch;
use serde_json::{json, Value};

/// The modules these tests register and the functions they call.
const SETUP: Setup = Setup {
    modules: &[opsflow_approvals::register, opsflow_insights::register],
    functions: &[
        opsflow_identity::testkit::SERVE,
        opsflow_approvals::testkit::SERVE,
    ],
};

/// A fresh table, apps and keys, serving the functions these tests call.
pub async fn env() -> TestEnv {
    SETUP.env().await
}

/// `envelopes` as the `insights` queue delivers them, one batch.
pub fn batch(envelopes: &[Value]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = envelopes
        .iter()
        .enumerate()
        .map(|(i, envelope)| {
            let mut message = SqsMessage::default();
            message.message_id = Some(format!("message-{i}"));
            message.body = Some(envelope.to_string());
            message
        })
        .collect();
    event
}

/// The outbox's events the router's insights lane takes, in the order
/// they happened.
pub async fn lane_events(env: &TestEnv) -> Vec<Value> {
    let mut events: Vec<Value> = env
        .events()
        .await
        .into_iter()
        .filter(|e| (opsflow_insights::registry::LANE.takes)(e).is_some())
        .collect();
    events.sort_by(|a, b| {
        let key = |e: &Value| (e["occurred_at"].to_string(), e["id"].to_string());
        key(a).cmp(&key(b))
    });
    events
}

/// Analyses `events` in batches of ten, as the analyzer would; every
/// message must succeed.
pub async fn analyze(env: &TestEnv, events: &[Value]) {
    let store = env.owned_app().store;
    for chunk in events.chunks(10) {
        let response = analyze_batch(&store, &batch(chunk)).await;
        assert!(
            response.batch_item_failures.is_empty(),
            "{:?}",
            response.batch_item_failures
        );
    }
}

/// Files a request of `amount` with `payload` on `workflow` as `who`.
pub async fn file(
    env: &TestEnv,
    who: &Account,
    workflow: &str,
    amount: f64,
    payload: Value,
) -> String {
    env.create(Call::new("approvals/create").by(who).body(json!({
        "workflow_id": workflow,
        "title": format!("Purchase of {amount}"),
        "amount": amount,
        "payload": payload,
    })))
    .await
}
