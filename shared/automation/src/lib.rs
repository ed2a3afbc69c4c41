//! `opsflow-automation`: the rule language (pure: triggers, conditions,
//! actions), stored rules and their runs, the runner that evaluates rules on
//! the `automation` queue, and the `rules` and `automation` APIs.

pub use opsflow_platform::{
    auth, clock, config, error, http, telemetry, Api, ApiError, ApiResult, App,
};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_automation;

pub mod api;
pub mod domain;
pub mod events;
pub mod language;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod permissions;
pub mod pipeline;
mod registry;
pub mod service;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod view;

pub use registry::register;
