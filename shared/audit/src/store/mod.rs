//! The audit table: records keyed by entity, actor and time.

pub use opsflow_platform::store::*;

pub mod audit;

pub use audit::{AuditQueryStore, AuditStore};
