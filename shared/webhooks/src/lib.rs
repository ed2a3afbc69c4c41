//! `opsflow-webhooks`: an integrator subscribes a URL to events (and to the
//! topics rules hand events over under) and receives each one as a signed
//! `POST`.
//! - [`domain`]: the signing secret and the Standard Webhooks signature,
//!   which URLs and addresses a delivery may reach, when a failed delivery
//!   is attempted again, a delivery's states, a subscription. Pure.
//! - [`service`], [`store`], [`api`], [`view`]: subscriptions
//!   (`/api/v1/webhooks`), admins only.
//! - [`pipeline`]: the `webhooks` queue's consumer, which makes the
//!   deliveries.

pub use opsflow_platform::{Api, ApiError, ApiResult, App};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_webhooks;

pub mod api;
pub mod domain;
pub mod events;
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
