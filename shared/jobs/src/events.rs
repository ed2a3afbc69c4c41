//! The jobs module's event types. Each carries the job's view as `data`
//! and its status change as `changes.status` (`[before, after]`, `null`
//! before a creation and after a deletion), through the outbox like every
//! change, so rules, webhooks, the audit log and the stats dashboard see
//! them. `job.queued` is also what puts a job on its queue: the event
//! router's jobs lanes take it ([`crate::lanes`]).
//!
//! A running job's progress is not an event: it changes often and moves
//! no status.

pub use opsflow_platform::events::*;

/// The entity kind of job events.
pub const JOB: &str = "job";
/// Queued: created, due again after a failed attempt, or retried.
pub const JOB_QUEUED: &str = "job.queued";
pub const JOB_STARTED: &str = "job.started";
pub const JOB_COMPLETED: &str = "job.completed";
pub const JOB_FAILED: &str = "job.failed";
pub const JOB_CANCELLED: &str = "job.cancelled";
pub const JOB_DELETED: &str = "job.deleted";
