//! The integration tests of `opsflow-jobs`, one binary: each test runs
//! against DynamoDB Local (its own table) and moto (S3, SES, SQS), through
//! the kernel's test harness; the worker's tests feed it the messages the
//! event router would send.

#![allow(clippy::unwrap_used)]

mod api;
mod lanes;
#[cfg(feature = "openapi")]
mod openapi;
mod rbac;
mod worker;

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
    modules: &[
        opsflow_identity::register,
        opsflow_items::register,
        opsflow_jobs::register,
    ],
    functions: &[
        opsflow_identity::testkit::SERVE,
        opsflow_items::testkit::SERVE,
        own_testkit::SERVE,
    ],
};

/// A fresh table, apps and keys, serving the functions these tests call;
/// download links name `bucket`.
pub async fn env_with_bucket(bucket: &str) -> TestEnv {
    let bucket = bucket.to_owned();
    SETUP
        .env_with(move |vars| {
            vars.insert("REPORTS_BUCKET".into(), bucket);
            // The function finds moto's S3 as a deployed one finds AWS's.
            let s3 = std::env::var("AWS_ENDPOINT_URL_S3")
                .unwrap_or_else(|_| "http://127.0.0.1:5000".into());
            vars.insert("AWS_ENDPOINT_URL_S3".into(), s3);
        })
        .await
}

pub async fn env() -> TestEnv {
    SETUP.env().await
}

/// Queues a job as `who` with `body`; the job's view.
pub async fn create(env: &TestEnv, who: &Account, body: Value) -> Value {
    let reply = env.call(Call::new("jobs/create").by(who).body(body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

/// The call for job `id` from fixture `fixture` (`jobs/get`, …).
pub fn at(fixture: &str, id: &str) -> Call {
    Call::new(fixture).resource_id("api/v1/jobs", id)
}

/// Job `id` as `who` reads it.
pub async fn read(env: &TestEnv, who: &Account, id: &str) -> Value {
    let reply = env.call(at("jobs/get", id).by(who)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}
