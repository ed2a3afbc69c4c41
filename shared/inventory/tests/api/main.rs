//! The integration tests of `opsflow-inventory`, one binary: each test
//! runs against DynamoDB Local on a table of its own, through the kernel's
//! test harness.

#![allow(clippy::unwrap_used)]

mod inventory;
#[cfg(feature = "openapi")]
mod openapi;
mod rbac;
mod stock;

#[path = "../../src/testkit.rs"]
mod own_testkit;

/// What the tests use of the harness.
mod helpers {
    pub use opsflow_platform::testkit::*;
}

use helpers::{Account, Call, Setup, TestEnv};
use serde_json::Value;

/// The modules these tests register and the functions they call.
const SETUP: Setup = Setup {
    modules: &[opsflow_identity::register, opsflow_inventory::register],
    functions: &[opsflow_identity::testkit::SERVE, own_testkit::SERVE],
};

/// A fresh table, apps and keys, serving the functions these tests call.
pub async fn env() -> TestEnv {
    SETUP.env().await
}

/// Creates a SKU as `who` with `body`; its view.
pub async fn create(env: &TestEnv, who: &Account, body: Value) -> Value {
    let reply = env
        .call(Call::new("inventory/create").by(who).body(body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

/// The call for SKU `sku` from fixture `fixture` (`inventory/get`, …).
pub fn at(fixture: &str, sku: &str) -> Call {
    Call::new(fixture).path_params(&[("sku", sku)])
}
