//! What clients see of workflows and approvals, and what their events
//! carry as `data`: only these shapes leave the module; storage records
//! (with their keys) never do.

use crate::domain::{
    Amount, ApprovalRisk, ApprovalStatus, Approvers, Step, Verdict, WorkflowStatus,
};
use crate::store::approvals::{ApprovalRecord, DecisionRecord};
use crate::store::workflows::WorkflowRecord;
use serde::Serialize;
use time::OffsetDateTime;

/// A workflow step (also copied into each approval).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepView {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 120, example = "Manager")
    )]
    name: String,
    /// The role whose holders decide the step; absent when `approver_ids`
    /// names the approvers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::role))]
    approver_role: Option<String>,
    /// The users who decide the step (1–25); absent when `approver_role`
    /// names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::approver_ids))]
    approver_ids: Option<Vec<String>>,
    /// How many approvals complete the step: 1–100, and at most the number
    /// of `approver_ids`.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    required_approvals: u32,
    /// Users a rule made approvers of an approval's step, beside those
    /// above; absent when there are none (always, for a workflow's steps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::assigned_ids))]
    assigned_ids: Vec<String>,
    /// How long the step may stay open before it escalates by itself
    /// (`45s`, `30m`, `4h`, `2d`); absent when it only escalates by hand
    /// or not at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "4h"))]
    escalate_after: Option<String>,
    /// The role that decides the step too once it escalates.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::role))]
    escalate_to_role: Option<String>,
    /// The users who decide the step too once it escalates.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::approver_ids))]
    escalate_to_ids: Option<Vec<String>>,
    /// When, by whom and why an approval's step escalated; absent until
    /// then (always, for a workflow's steps).
    #[serde(skip_serializing_if = "Option::is_none")]
    escalated: Option<EscalatedView>,
}

/// An escalation of an approval's step.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EscalatedView {
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    /// The approver who escalated it by hand; `null`: the system, at the
    /// step's deadline.
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    by: Option<String>,
    /// Why (empty when none was given).
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    reason: String,
}

pub fn step_view(step: &Step) -> StepView {
    let (approver_role, approver_ids) = match &step.approvers {
        Approvers::Role(role) => (Some(role.to_string()), None),
        Approvers::Users(ids) => (None, Some(ids.iter().map(ToString::to_string).collect())),
    };
    let escalation = step.escalation.as_ref();
    let (escalate_to_role, escalate_to_ids) = match escalation.map(|e| &e.to) {
        Some(Approvers::Role(role)) => (Some(role.to_string()), None),
        Some(Approvers::Users(ids)) => (None, Some(ids.iter().map(ToString::to_string).collect())),
        None => (None, None),
    };
    StepView {
        name: step.name.clone(),
        approver_role,
        approver_ids,
        required_approvals: step.required_approvals,
        assigned_ids: step.assigned.iter().map(ToString::to_string).collect(),
        escalate_after: escalation.and_then(|e| e.after).map(|a| a.to_string()),
        escalate_to_role,
        escalate_to_ids,
        escalated: step.escalated.as_ref().map(|e| EscalatedView {
            at: e.at,
            by: e.by.map(|by| by.to_string()),
            reason: e.reason.as_str().to_owned(),
        }),
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkflowView {
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    id: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    name: String,
    /// Free text, up to 2000 characters; empty when none was given.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    description: String,
    status: WorkflowStatus,
    /// The steps, in the order a request goes through them (at most 10).
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    steps: Vec<StepView>,
    /// Whether one person may decide several steps of a request.
    allow_same_approver_across_steps: bool,
    /// What kind of request it decides (`HIGH_VALUE_TRANSACTION`), or
    /// `null`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z][A-Z0-9_]{0,63}$"))]
    workflow_type: Option<String>,
    /// The admin who created it.
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
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
        workflow_type: record.workflow_type.as_ref().map(|t| t.as_str().to_owned()),
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionView {
    /// The index of the step decided.
    step: usize,
    step_name: String,
    /// Who decided: a user's id.
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    approver_id: String,
    /// The approver's role when they decided.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::role))]
    approver_role: String,
    decision: Verdict,
    /// Up to 1000 characters; empty when none was given.
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    comment: String,
    #[serde(with = "time::serde::rfc3339")]
    decided_at: OffsetDateTime,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalView {
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    id: String,
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    workflow_id: String,
    /// The workflow's name when the request was filed.
    workflow_name: String,
    /// The workflow's type when the request was filed, or `null`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z][A-Z0-9_]{0,63}$"))]
    workflow_type: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    title: String,
    /// Free text, up to 2000 characters; empty when none was given.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    description: String,
    /// The request's free-form data, as filed (`{}` when none was given)
    /// and as rules' `set_field` changed it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    payload: serde_json::Value,
    /// 0 to 10¹², at most two decimals; absent when none was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1e12))]
    amount: Option<f64>,
    status: ApprovalStatus,
    steps: Vec<StepView>,
    /// The step being decided (its index), while open (pending or
    /// escalated).
    #[serde(skip_serializing_if = "Option::is_none")]
    current_step: Option<usize>,
    /// Who has approved the current step so far (once final, the last
    /// step decided).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::user_ids))]
    step_approvals: Vec<String>,
    /// Copied from the workflow: whether one person may decide several
    /// steps.
    allow_same_approver_across_steps: bool,
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    requester_id: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    /// When it became final; absent while open.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    decided_at: Option<OffsetDateTime>,
    /// When the current step escalates by itself; absent when it has no
    /// deadline, has escalated, or the approval is final.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    escalation_due_at: Option<OffsetDateTime>,
    /// Its risk as last scored (score, level, the factors that made it);
    /// absent until the insights analyzer has scored it, a moment after
    /// it was filed. Derived: it never moves `version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    risk: Option<ApprovalRisk>,
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
        workflow_type: record.workflow_type.as_ref().map(|t| t.as_str().to_owned()),
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
        escalation_due_at: record.escalation_due,
        risk: record.risk.clone(),
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
