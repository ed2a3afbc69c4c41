//! `opsflow-automation`: the rule language (pure: triggers, conditions,
//! actions), stored rules and their runs, the runner that evaluates rules on
//! the `automation` queue, and the `rules` and `automation` APIs.

pub use opsflow_platform::{
    auth, clock, config, error, events, http, telemetry, ApiError, ApiResult, App,
};

pub mod api;
pub mod domain;
pub mod language;
pub mod pipeline;
pub mod store;
