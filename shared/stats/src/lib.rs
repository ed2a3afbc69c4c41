//! `opsflow-stats`: the dashboard's counts (items, jobs, approvals,
//! users), kept from the event stream.
//! - [`domain`]: how each event moves the counts, and the dashboard the
//!   counts make. Pure.
//! - [`pipeline`]: the `stats` queue's consumer, which counts each event
//!   once.
//! - [`service`], [`store`], [`api`], [`view`]: `GET /api/v1/stats`.

pub use opsflow_platform::{Api, ApiError, ApiResult, App};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_stats;

pub mod api;
pub mod domain;
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
