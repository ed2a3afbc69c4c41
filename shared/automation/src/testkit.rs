//! Serves the `rules` and `automation` functions to the kernel's test
//! harness. The `automation` function's runner sends to
//! `WEBHOOKS_QUEUE_URL` (a queue that does not exist unless the test sets
//! one) and `JOBS_QUEUE_URL` (if set).

#![allow(clippy::unwrap_used)]

use opsflow_automation::api::automation::Automation;
use opsflow_platform::testkit::TestEnv;

pub async fn serve(env: &mut TestEnv) {
    let users = env.users;
    env.serve(
        "rules",
        Box::new(move |req| Box::pin(opsflow_automation::api::rules::handle(users, req))),
    );
    let automation: &'static Automation = env.context().await;
    env.serve(
        "automation",
        Box::new(move |req| Box::pin(opsflow_automation::api::automation::handle(automation, req))),
    );
}
