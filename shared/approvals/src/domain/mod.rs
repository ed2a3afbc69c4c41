//! Workflows and approvals as the domain sees them: the newtypes their
//! inputs become, the approval state machine and step assignment.

pub use opsflow_platform::domain::*;

pub mod approval;
pub mod escalation;
pub mod risk;
pub mod workflow;

pub use approval::{Amount, ApprovalStatus, Comment, Payload, Title, Verdict};
pub use escalation::{EscalateAfter, Escalated, Escalation};
pub use risk::{ApprovalRisk, RiskFactor};
pub use workflow::{Approvers, Description, Step, WorkflowName, WorkflowStatus, WorkflowType};
