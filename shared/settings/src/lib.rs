//! `opsflow-settings`: the platform's documented, typed settings, which
//! every signed-in client reads and admins set.
//! - [`domain`]: the keys, their types and defaults. Pure.
//! - [`service`], [`store`], [`api`], [`view`]: `/api/v1/settings`.
//! - [`cache`]: the settings as other functions read them (briefly kept).

pub use opsflow_platform::{Api, ApiError, ApiResult, App};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_settings;

pub mod api;
pub mod cache;
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
