//! The integration tests of `opsflow-approvals`, one binary: each test
//! runs against DynamoDB Local (and moto where it sends to queues) on a
//! table of its own, through the kernel's test harness.

#![allow(clippy::unwrap_used)]

mod approvals;
mod calls;
mod escalation;
#[cfg(feature = "openapi")]
mod openapi;
mod rbac;
mod revocation;
mod rule_actions;
mod seed_contract;
mod workflows;

#[path = "../../src/testkit.rs"]
mod own_testkit;

/// What the tests use of the harness.
mod helpers {
    pub use opsflow_platform::testkit::*;
}

use helpers::{Setup, TestEnv};
use std::collections::HashMap;

/// The modules these tests register and the functions they call.
const SETUP: Setup = Setup {
    modules: &[],
    functions: &[opsflow_identity::testkit::SERVE, own_testkit::SERVE],
};

/// A fresh table, apps and keys, serving the functions these tests call.
pub async fn env() -> TestEnv {
    SETUP.env().await
}

/// [`env`], with `tweak` applied to the environment first.
pub async fn env_with(tweak: impl FnOnce(&mut HashMap<String, String>)) -> TestEnv {
    SETUP.env_with(tweak).await
}
