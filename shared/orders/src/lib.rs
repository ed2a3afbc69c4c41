//! `opsflow-orders`: orders of inventory SKUs, priced by the server, whose
//! stock is taken in the same transaction as the order (never oversold),
//! moving through a fixed status map with a timeline of every change.
//! - [`domain`]: statuses and their moves, who may make them, lines. Pure.
//! - [`service`], [`store`], [`api`], [`view`]: `/api/v1/orders`.

pub use opsflow_platform::{Api, ApiError, ApiResult, App};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_orders;

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

pub use registry::{register, OrderActions};
