//! `opsflow-inventory`: the stock-keeping units (SKUs) orders are placed
//! against: their stock, which never goes below zero, their prices in
//! minor units, and the list of those low on stock.
//! - [`domain`]: codes, names, quantities, prices, low-stock crossings.
//!   Pure.
//! - [`service`], [`store`], [`api`], [`view`]: `/api/v1/inventory`.

pub use opsflow_platform::{Api, ApiError, ApiResult, App};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_inventory;

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
