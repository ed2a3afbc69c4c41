//! What clients see of workflows and approvals, and what their events
//! carry as `data`: only these shapes leave the module; storage records
//! (with their keys) never do.

use crate::domain::{Amount, ApprovalStatus, Approvers, Step, Verdict, WorkflowStatus};
use crate::store::approvals::{ApprovalRecord, DecisionRecord};
use crate::store::workflows::WorkflowRecord;
use serde::Serialize;
use time::OffsetDateTime;

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

#[derive(Debug, Serialize)]
pub struct WorkflowView {
    id: String,
    name: String,
    description: String,
    status: WorkflowStatus,
    steps: Vec<StepView>,
    allow_same_approver_across_steps: bool,
    created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    version: u64,
}

pub fn workflow_view(record: &WorkflowRecord) -> WorkflowView {
    WorkflowView {
        id: record.id.to_string(),
        name: record.name.as_str().to_owned(),
        description: record.description.as_str().to_owned(),
        status: record.status,
        steps: record.steps.iter().map(step_view).collect(),
        allow_same_approver_across_steps: record.allow_same_approver_across_steps,
        created_by: record.created_by.to_string(),
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    }
}

/// The workflow as its events carry it (`data`).
pub fn workflow_value(record: &WorkflowRecord) -> serde_json::Value {
    serde_json::to_value(workflow_view(record)).unwrap_or_default()
}

#[derive(Debug, Serialize)]
pub struct DecisionView {
    step: usize,
    step_name: String,
    approver_id: String,
    approver_role: String,
    decision: Verdict,
    comment: String,
    #[serde(with = "time::serde::rfc3339")]
    decided_at: OffsetDateTime,
}

#[derive(Debug, Serialize)]
pub struct ApprovalView {
    id: String,
    workflow_id: String,
    workflow_name: String,
    title: String,
    description: String,
    payload: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<f64>,
    status: ApprovalStatus,
    steps: Vec<StepView>,
    /// The step being decided (its index), while pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    current_step: Option<usize>,
    step_approvals: Vec<String>,
    /// Copied from the workflow: whether one person may decide several
    /// steps.
    allow_same_approver_across_steps: bool,
    requester_id: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    decided_at: Option<OffsetDateTime>,
    version: u64,
    /// The decision history (single-approval responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    decisions: Option<Vec<DecisionView>>,
}

fn decision_view(decision: &DecisionRecord) -> DecisionView {
    DecisionView {
        step: decision.step,
        step_name: decision.step_name.clone(),
        approver_id: decision.approver_id.to_string(),
        approver_role: decision.approver_role.to_string(),
        decision: decision.verdict,
        comment: decision.comment.as_str().to_owned(),
        decided_at: decision.decided_at,
    }
}

pub fn approval_view(record: &ApprovalRecord) -> ApprovalView {
    ApprovalView {
        id: record.id.to_string(),
        workflow_id: record.workflow_id.to_string(),
        workflow_name: record.workflow_name.as_str().to_owned(),
        title: record.title.as_str().to_owned(),
        description: record.description.as_str().to_owned(),
        payload: record.payload.as_value().clone(),
        amount: record.amount.map(Amount::value),
        status: record.status,
        steps: record.steps.iter().map(step_view).collect(),
        current_step: (!record.status.is_final()).then_some(record.current_step),
        step_approvals: record
            .step_approvals
            .iter()
            .map(ToString::to_string)
            .collect(),
        allow_same_approver_across_steps: record.allow_same_approver_across_steps,
        requester_id: record.requester_id.to_string(),
        created_at: record.created_at,
        updated_at: record.updated_at,
        decided_at: record.decided_at,
        version: record.version,
        decisions: None,
    }
}

pub fn full_view(record: &ApprovalRecord, decisions: &[DecisionRecord]) -> ApprovalView {
    ApprovalView {
        decisions: Some(decisions.iter().map(decision_view).collect()),
        ..approval_view(record)
    }
}

/// The approval as its events carry it (`data`).
pub fn approval_value(record: &ApprovalRecord) -> serde_json::Value {
    serde_json::to_value(approval_view(record)).unwrap_or_default()
}
