//! `opsflow-insights`: explainable risk for every approval request and,
//! as insights, what deserves a person's attention.
//! - [`domain`]: the scorer — features of a request against the history
//!   of its workflow and its requester, each feature's contribution and
//!   the sentence that explains it — and an insight's life. Pure.
//! - [`service`], [`store`]: scoring approvals from their events with
//!   running statistics, and raising and resolving insights.
//! - [`pipeline`]: the `insights-analyzer` consumer; [`registry`]: the
//!   router's insights lane.
//! - [`api`], [`view`], [`permissions`]: `/api/v1/aiInsights`.

pub use opsflow_platform::{Api, ApiError, ApiResult, App};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_insights;

pub mod api;
pub mod domain;
pub mod events;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod permissions;
pub mod pipeline;
pub mod registry;
pub mod service;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod view;

pub use registry::register;
