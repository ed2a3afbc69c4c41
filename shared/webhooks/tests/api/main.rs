//! The integration tests of `opsflow-webhooks`, one binary: each test runs
//! against DynamoDB Local on a table of its own, through the kernel's test
//! harness.

#![allow(clippy::unwrap_used)]

mod dispatch;
#[cfg(feature = "openapi")]
mod openapi;
mod rbac;
mod receiver;
mod subscriptions;
mod validation;

#[path = "../../src/testkit.rs"]
mod own_testkit;

/// What the tests use of the harness.
mod helpers {
    pub use opsflow_platform::testkit::*;
}

use helpers::{Setup, TestEnv};

/// The modules these tests register and the functions they call.
const SETUP: Setup = Setup {
    modules: &[opsflow_identity::register, opsflow_webhooks::register],
    functions: &[opsflow_identity::testkit::SERVE, own_testkit::SERVE],
};

/// A fresh table, apps and keys, serving the functions these tests call.
pub async fn env() -> TestEnv {
    SETUP
        .env_with(|vars| {
            vars.insert(
                "WEBHOOK_ALLOW_HOSTS".into(),
                "127.0.0.1, inbox.local".into(),
            );
        })
        .await
}

/// [`env`] with no host on the allow-list, as in a deployment.
pub async fn env_without_allow_list() -> TestEnv {
    SETUP.env().await
}
