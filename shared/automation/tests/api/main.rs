//! The integration tests of `opsflow-automation`, one binary: each test
//! runs against DynamoDB Local (and moto where it sends to queues) on a
//! table of its own, through the kernel's test harness.

#![allow(clippy::unwrap_used)]

mod automation;
mod automation_api;
mod decisions;
#[cfg(feature = "openapi")]
mod openapi;
mod rbac;
mod rules;
mod validation;

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
    modules: &[
        opsflow_identity::register,
        opsflow_approvals::register,
        opsflow_automation::register,
    ],
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

/// [`env`], with `tweak` applied to the environment first.
pub async fn env_with(tweak: impl FnOnce(&mut HashMap<String, String>)) -> TestEnv {
    SETUP.env_with(tweak).await
}
