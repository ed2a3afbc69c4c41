//! `opsflow-jobs`: background work — reports written to S3, e-mail sent
//! through SES, changes applied to many items, cleanups — queued through
//! the outbox, run by the job worker with retries, and followed by admins.
//! - [`domain`], [`spec`]: job types, statuses and their moves,
//!   priorities, delays, and what each type's `data` asks. Pure.
//! - [`service`], [`store`], [`api`], [`view`]: `/api/v1/jobs`.
//! - [`lanes`]: how `job.queued` events reach the jobs queues.
//! - [`pipeline`], [`work`]: the job worker and each type's work.

pub use opsflow_platform::{Api, ApiError, ApiResult, App};

// Lets `testkit` name this crate as its users do, so that the crate's own
// integration tests can include it too.
extern crate self as opsflow_jobs;

pub mod api;
pub mod domain;
pub mod events;
pub mod lanes;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod permissions;
pub mod pipeline;
mod registry;
pub mod reports;
pub mod service;
pub mod spec;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod view;
pub mod work;

pub use registry::register;
