//! The integration tests of `opsflow-items`, one binary: each test runs
//! against DynamoDB Local on a table of its own, through the kernel's test
//! harness.

#![allow(clippy::unwrap_used)]

mod items;
mod listing;
#[cfg(feature = "openapi")]
mod openapi;
mod rbac;
mod validation;

#[path = "../../src/testkit.rs"]
mod own_testkit;

/// What the tests use of the harness.
mod helpers {
    pub use opsflow_platform::testkit::*;
}

use helpers::{Account, Call, Setup, TestEnv};
use serde_json::{json, Value};

/// The modules these tests register and the functions they call.
const SETUP: Setup = Setup {
    modules: &[opsflow_identity::register, opsflow_items::register],
    functions: &[opsflow_identity::testkit::SERVE, own_testkit::SERVE],
};

/// A fresh table, apps and keys, serving the functions these tests call.
pub async fn env() -> TestEnv {
    SETUP.env().await
}

/// Creates an item as `who` with `body`; its view.
pub async fn create(env: &TestEnv, who: &Account, body: Value) -> Value {
    let reply = env.call(Call::new("items/create").by(who).body(body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

/// Creates an item named `name` as `who`; its id.
pub async fn named(env: &TestEnv, who: &Account, name: &str) -> String {
    let item = create(env, who, json!({ "name": name })).await;
    item["id"].as_str().unwrap().to_owned()
}

/// The call for item `id` from fixture `fixture` (`items/get`, …).
pub fn at(fixture: &str, id: &str) -> Call {
    Call::new(fixture).resource_id("api/v1/items", id)
}
