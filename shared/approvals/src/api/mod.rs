//! The `workflows` and `approvals` functions' request handlers.

pub use opsflow_platform::api::*;

pub mod approvals;
pub mod views;
pub mod workflows;
