//! The integration tests of `opsflow-identity`, one binary: each test
//! runs against DynamoDB Local (and moto where it sends to queues) on a
//! table of its own, through the kernel's test harness.

#![allow(clippy::unwrap_used)]

mod auth_flow;
#[cfg(feature = "openapi")]
mod contract;
mod idempotency;
mod rbac;
mod users;

#[path = "../../src/testkit.rs"]
mod own_testkit;

/// What the tests use of the harness.
mod helpers {
    pub use opsflow_platform::testkit::*;
    use serde_json::{json, Value};

    /// `GET /api/v1/auth/me` with an access token.
    pub fn me_request(access: &str) -> Call {
        Call::new("auth/me").token(Some(access))
    }

    /// `POST /api/v1/auth/login` with an email and a password.
    pub fn login_request(email: &str, password: &str) -> Call {
        Call::new("auth/login").body(json!({"email": email, "password": password}))
    }

    /// `PATCH /api/v1/users/{id}` by `by`, with `body`.
    pub fn patch_user(by: &Account, id: &str, body: Value) -> Call {
        Call::new("users/patch").by(by).id(id).body(body)
    }
}

use helpers::{Setup, TestEnv};
use std::collections::HashMap;

/// The modules these tests register and the functions they call.
const SETUP: Setup = Setup {
    modules: &[],
    functions: &[own_testkit::SERVE],
};

/// A fresh table, apps and keys, serving the functions these tests call.
pub async fn env() -> TestEnv {
    SETUP.env().await
}

/// Login throttling that bites fast: three free failures per e-mail
/// address, then waits in units of a minute.
pub const THROTTLED_LOGINS: &[(&str, &str)] = &[
    ("LOGIN_FAILURES_PER_EMAIL", "3"),
    ("LOGIN_BACKOFF_UNIT_MS", "60000"),
];

/// [`env`], with the variables `vars` set.
pub async fn env_vars(vars: &[(&str, &str)]) -> TestEnv {
    let owned = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    env_with(|env| env.extend(owned)).await
}

/// [`env`], with `tweak` applied to the environment first.
pub async fn env_with(tweak: impl FnOnce(&mut HashMap<String, String>)) -> TestEnv {
    SETUP.env_with(tweak).await
}
