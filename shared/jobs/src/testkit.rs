//! Serves the `jobs` function to the kernel's test harness.

#![allow(clippy::unwrap_used)]

use opsflow_platform::testkit::{Serve, TestEnv};

/// [`serve`] as a test binary's `Setup` lists it.
pub const SERVE: Serve = |env| Box::pin(serve(env));

pub async fn serve(env: &mut TestEnv) {
    // The bucket download links name (tests that fetch one make it).
    env.vars
        .entry("REPORTS_BUCKET".into())
        .or_insert_with(|| "opsflow-test-reports".into());
    let jobs: &'static opsflow_jobs::api::Jobs = env.context().await;
    env.serve_on("jobs", jobs, opsflow_jobs::api::handle);
}
