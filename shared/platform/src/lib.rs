//! `opsflow-platform`: the kernel every Opsflow module and function is
//! built on. Configuration, Lambda wiring, HTTP (request parsing,
//! problem+json, paging, idempotency, CORS), errors, token verification and
//! permissions, the store (client, transactions, outbox, cursor, rate
//! limits), event envelopes and the router that fans them out, clock and
//! telemetry.
//!
//! It imports no module crate: modules (`opsflow-identity`,
//! `opsflow-approvals`, `opsflow-audit`, `opsflow-automation`) depend on it,
//! and functions on them.

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_platform;

pub mod api;
pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod http;
pub mod metrics;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod pipeline;
pub mod registry;
pub mod store;
pub mod telemetry;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use app::{Api, App};
pub use error::{ApiError, ApiResult};
