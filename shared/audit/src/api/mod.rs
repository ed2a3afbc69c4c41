//! The `audit-logs` function's request handlers.

pub use opsflow_platform::api::*;

pub mod audit_logs;
