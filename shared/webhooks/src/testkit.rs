//! Serves the `webhooks` function to the kernel's test harness, with the
//! allow-list the test's environment gives (`WEBHOOK_ALLOW_HOSTS`).

#![allow(clippy::unwrap_used)]

use opsflow_platform::testkit::{Serve, TestEnv};
use opsflow_webhooks::api::Webhooks;

/// [`serve`] as a test binary's `Setup` lists it.
pub const SERVE: Serve = |env| Box::pin(serve(env));

pub async fn serve(env: &mut TestEnv) {
    let webhooks: &'static Webhooks = env.context().await;
    env.serve_on(
        "webhooks",
        webhooks,
        opsflow_webhooks::api::subscriptions::handle,
    );
}
