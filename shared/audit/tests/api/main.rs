//! The integration tests of `opsflow-audit`, one binary: each test
//! runs against DynamoDB Local (and moto where it sends to queues) on a
//! table of its own, through the kernel's test harness.

#![allow(clippy::unwrap_used)]

mod audit_logs;
mod pipeline;
mod rbac;

/// What the tests use of the harness.
mod helpers {
    pub use opsflow_platform::testkit::*;
}

use helpers::TestEnv;
use std::collections::HashMap;

/// A fresh table, apps and keys, serving the functions these tests call.
pub async fn env() -> TestEnv {
    env_with(|_| {}).await
}

/// [`env`], with `tweak` applied to the environment first.
pub async fn env_with(tweak: impl FnOnce(&mut HashMap<String, String>)) -> TestEnv {
    let mut env = TestEnv::with_vars(tweak).await;
    env.register_module(opsflow_identity::register)
        .register_module(opsflow_approvals::register);
    opsflow_identity::testkit::serve(&mut env).await;
    opsflow_approvals::testkit::serve(&mut env);
    env
}
