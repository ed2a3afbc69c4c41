//! The integration tests of `opsflow-insights`, one binary: each test runs
//! against DynamoDB Local on a table of its own, through the kernel's test
//! harness, with the approvals module whose events it scores.

#![allow(clippy::unwrap_used)]

mod analyzer;
mod detectors;
#[cfg(feature = "openapi")]
mod openapi;
mod ordering;
mod rbac;
mod routes;

#[path = "../../src/testkit.rs"]
mod own_testkit;

/// What the tests use of the harness.
mod helpers {
    pub use opsflow_platform::testkit::*;
}

use aws_lambda_events::event::sqs::SqsEvent;
use helpers::{Account, Call, Setup, TestEnv};
use opsflow_insights::pipeline::analyzer::analyze_batch;
use serde_json::{json, Value};

/// The modules these tests register and the functions they call.
const SETUP: Setup = Setup {
    modules: &[opsflow_approvals::register, opsflow_insights::register],
    functions: &[
        opsflow_identity::testkit::SERVE,
        opsflow_approvals::testkit::SERVE,
        own_testkit::SERVE,
    ],
};

/// A fresh table, apps and keys, serving the functions these tests call.
pub async fn env() -> TestEnv {
    SETUP.env().await
}

/// `envelopes` as the queue delivers them, one batch.
pub fn batch(envelopes: &[Value]) -> SqsEvent {
    helpers::queues::sqs_batch(envelopes)
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
    // By time, and within a millisecond by the approval's version (ids
    // made in one millisecond do not sort by time).
    let at = |e: &Value| {
        let text = e["occurred_at"].as_str().unwrap_or_default();
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
    };
    events.sort_by_key(|e| (at(e), e["data"]["version"].as_u64()));
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

/// `fixture`'s call on insight `id`.
pub fn at(fixture: &str, id: &str) -> Call {
    Call::new(fixture).path_params(&[("id", id)])
}

/// Raises an insight by hand as `admin` with `body`'s fields over a
/// plain one; the insight.
pub async fn raise(env: &TestEnv, admin: &Account, body: Value) -> Value {
    let mut fields = json!({"title": "Vendor paid twice", "risk_score": 0.9});
    for (key, value) in body.as_object().cloned().unwrap_or_default() {
        fields[key] = value;
    }
    let reply = env
        .call(Call::new("insights/create").by(admin).body(fields))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

/// The ids of the insights `who` gets from `call`.
pub async fn listed(env: &TestEnv, who: &Account, call: Call) -> Vec<String> {
    let reply = env.call(call.by(who)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    helpers::page_column(&reply.body, "id")
}
