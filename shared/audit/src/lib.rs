//! `opsflow-audit`: the immutable audit log in its own table. Its writer
//! turns the `audit` queue's events into records, idempotently; its reader
//! serves `/auditLogs` to those allowed to see each entry.

pub use opsflow_platform::{
    auth, clock, config, error, events, http, telemetry, ApiError, ApiResult, App,
};

pub mod api;
pub mod domain;
pub mod pipeline;
pub mod store;
