//! The integration tests of `opsflow-settings`, one binary: each test runs
//! against DynamoDB Local on a table of its own, through the kernel's test
//! harness.

#![allow(clippy::unwrap_used)]

#[cfg(feature = "openapi")]
mod openapi;
mod rbac;
mod settings;

#[path = "../../src/testkit.rs"]
mod own_testkit;

/// What the tests use of the harness.
mod helpers {
    pub use opsflow_platform::testkit::*;
}

use helpers::{Call, Setup, TestEnv};

/// The modules these tests register and the functions they call.
const SETUP: Setup = Setup {
    modules: &[opsflow_identity::register, opsflow_settings::register],
    functions: &[opsflow_identity::testkit::SERVE, own_testkit::SERVE],
};

/// A fresh table, apps and keys, serving the functions these tests call.
pub async fn env() -> TestEnv {
    SETUP.env().await
}

/// The call from fixture `fixture` (`settings/get`, `settings/put`) for
/// setting `key`.
pub fn at(fixture: &str, key: &str) -> Call {
    Call::new(fixture).path_params(&[("key", key)])
}
