//! `opsflow-items`: named things a team keeps track of, each with a
//! status, a description and free-form metadata, listed in any order and
//! searched by name.
//! - [`domain`]: names, statuses, orderings, searches, who may change an
//!   item. Pure.
//! - [`service`], [`store`], [`api`], [`view`]: `/api/v1/items`.

pub use opsflow_platform::{Api, ApiError, ApiResult, App};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_items;

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

pub use registry::register;
