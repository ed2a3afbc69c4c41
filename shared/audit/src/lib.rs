//! `opsflow-audit`: the immutable audit log in its own table. Its writer
//! turns the `audit` queue's events into records, idempotently; its reader
//! serves `/api/v1/auditLogs` to those allowed to see each entry.

pub use opsflow_platform::{
    auth, clock, config, error, events, http, telemetry, Api, ApiError, ApiResult, App,
};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_audit;

pub mod api;
pub mod domain;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod permissions;
pub mod pipeline;
pub mod registry;
pub mod service;
pub mod store;
pub mod view;

pub use registry::register;
