//! Response bodies of workflows and approvals: only these shapes leave the
//! API; storage records (with their keys) never do.

use crate::domain::{Approvers, Step};
use serde::Serialize;

/// A workflow step (also copied into each approval).
#[derive(Debug, Serialize)]
pub struct StepView {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    approver_role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    approver_ids: Option<Vec<String>>,
    required_approvals: u32,
    /// Users a rule made approvers of an approval's step, beside those
    /// above; absent when there are none (always, for a workflow's steps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    assigned_ids: Vec<String>,
}

pub fn step_view(step: &Step) -> StepView {
    let (approver_role, approver_ids) = match &step.approvers {
        Approvers::Role(role) => (Some(role.to_string()), None),
        Approvers::Users(ids) => (None, Some(ids.iter().map(ToString::to_string).collect())),
    };
    StepView {
        name: step.name.clone(),
        approver_role,
        approver_ids,
        required_approvals: step.required_approvals,
        assigned_ids: step.assigned.iter().map(ToString::to_string).collect(),
    }
}
