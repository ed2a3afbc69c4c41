//! `opsflow-approvals`: workflows (the steps a request goes through) and
//! approvals (requests moving through them, decided step by step), with
//! the `workflows` and `approvals` APIs.

pub use opsflow_platform::{
    auth, clock, config, error, events, http, telemetry, ApiError, ApiResult, App,
};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_approvals;

pub mod api;
pub mod domain;
mod entities;
pub mod permissions;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use entities::register;
