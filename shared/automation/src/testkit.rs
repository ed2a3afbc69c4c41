//! Serves the `rules` and `automation` functions to the kernel's test
//! harness. The `automation` function's runner sends to
//! `WEBHOOKS_QUEUE_URL` (a queue that does not exist unless the test sets
//! one).

#![allow(clippy::unwrap_used)]

use opsflow_automation::api::automation::Automation;
use opsflow_platform::testkit::{Serve, TestEnv};

/// [`serve`] as a test binary's `Setup` lists it.
pub const SERVE: Serve = |env| Box::pin(serve(env));

pub async fn serve(env: &mut TestEnv) {
    let users = env.users;
    env.serve_on("rules", users, opsflow_automation::api::rules::handle);
    let automation: &'static Automation = env.context().await;
    env.serve_on(
        "automation",
        automation,
        opsflow_automation::api::automation::handle,
    );
}
