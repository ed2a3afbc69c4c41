//! The integration tests of `opsflow-stats`, one binary: each test runs
//! against DynamoDB Local on a table of its own, through the kernel's test
//! harness, with the modules whose events the dashboard counts.

#![allow(clippy::unwrap_used)]

#[cfg(feature = "openapi")]
mod openapi;
mod rbac;
mod recount;

#[path = "../../src/testkit.rs"]
mod own_testkit;

/// What the tests use of the harness.
mod helpers {
    pub use opsflow_platform::testkit::*;
}

use aws_lambda_events::event::sqs::SqsEvent;
use helpers::{Setup, TestEnv};
use serde_json::Value;

/// The modules these tests register and the functions they call.
const SETUP: Setup = Setup {
    modules: &[
        opsflow_identity::register,
        opsflow_items::register,
        opsflow_approvals::register,
        opsflow_stats::register,
    ],
    functions: &[
        opsflow_identity::testkit::SERVE,
        opsflow_items::testkit::SERVE,
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

/// Counts every event of the table's outbox, as the aggregator would.
pub async fn count_outbox(env: &TestEnv) {
    let store = env.owned_app().store;
    let events = env.events().await;
    for chunk in events.chunks(10) {
        let response =
            opsflow_stats::pipeline::aggregator::count_batch(&store, &batch(chunk)).await;
        assert!(response.batch_item_failures.is_empty());
    }
}
