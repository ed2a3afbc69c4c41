//! `opsflow-approvals`: workflows (the steps a request goes through) and
//! approvals (requests moving through them, decided step by step), with
//! the `workflows` and `approvals` APIs, on the module contract: `domain`
//! (rules), `service` (the only writer), `store`, `api`, `view`, `events`,
//! `permissions`, and [`register`] for the consumers that serve every
//! module.

pub use opsflow_platform::{
    auth, clock, config, error, http, telemetry, Api, ApiError, ApiResult, App,
};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_approvals;

pub mod api;
pub mod domain;
pub mod events;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod permissions;
mod registry;
pub mod service;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod view;

pub use registry::{register, ApprovalActions, Approvals, Workflows};
