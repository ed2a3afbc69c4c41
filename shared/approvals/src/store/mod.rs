//! Workflows and approvals in the entity table. Access patterns are
//! written in each file's `//!`.

pub use opsflow_platform::store::*;

pub mod approvals;
pub mod escalations;
pub mod keys;
pub mod workflows;

pub use approvals::ApprovalStore;
pub use escalations::EscalationStore;
pub use workflows::WorkflowStore;
