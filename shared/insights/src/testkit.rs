//! Serves the `insights` function to the kernel's test harness.

#![allow(clippy::unwrap_used)]

use opsflow_platform::testkit::{Serve, TestEnv};
use opsflow_platform::Api;

/// [`serve`] as a test binary's `Setup` lists it.
pub const SERVE: Serve = |env| Box::pin(serve(env));

pub async fn serve(env: &mut TestEnv) {
    let api: &'static Api = env.context().await;
    env.serve_on("insights", api, opsflow_insights::api::handle);
}
