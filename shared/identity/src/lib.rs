//! `opsflow-identity`: user accounts, sign-in sessions and their refresh
//! tokens, login limits, and the `auth` and `users` APIs.
//!
//! Token verification, the session check and permissions are the kernel's
//! (`opsflow-platform`); this crate creates what they check.

pub use opsflow_platform::{clock, config, error, http, telemetry, Api, ApiError, ApiResult, App};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_identity;

pub mod accounts;
pub mod api;
pub mod auth;
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

pub use registry::register;
