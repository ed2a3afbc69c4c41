//! Serves the `workflows` and `approvals` functions to the kernel's test
//! harness.

#![allow(clippy::unwrap_used)]

use opsflow_platform::testkit::TestEnv;

pub fn serve(env: &mut TestEnv) {
    let app = env.users;
    env.serve(
        "workflows",
        Box::new(move |req| Box::pin(opsflow_approvals::api::workflows::handle(app, req))),
    );
    env.serve(
        "approvals",
        Box::new(move |req| Box::pin(opsflow_approvals::api::approvals::handle(app, req))),
    );
}
