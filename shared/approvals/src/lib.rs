//! `opsflow-approvals`: workflows (the steps a request goes through) and
//! approvals (requests moving through them, decided step by step), with
//! the `workflows` and `approvals` APIs.

pub use opsflow_platform::{
    auth, clock, config, error, events, http, telemetry, ApiError, ApiResult, App,
};

pub mod api;
pub mod domain;
pub mod store;
