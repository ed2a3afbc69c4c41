//! Serves the `workflows` and `approvals` functions to the kernel's test
//! harness.

#![allow(clippy::unwrap_used)]

use opsflow_approvals::api::{approvals, workflows};
use opsflow_platform::testkit::{Serve, TestEnv};

/// [`serve`] as a test binary's `Setup` lists it.
pub const SERVE: Serve = |env| {
    serve(env);
    Box::pin(std::future::ready(()))
};

pub fn serve(env: &mut TestEnv) {
    let app = env.users;
    env.serve_on("workflows", app, workflows::handle)
        .serve_on("approvals", app, approvals::handle);
}
