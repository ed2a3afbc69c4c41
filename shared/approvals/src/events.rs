//! The events of workflows and approvals: their type names and the builders
//! that describe a change. Every event carries the entity after the change
//! as `data` (its [`crate::view`]) and, in `changes`, each field that moved.
//! Only the service builds events, and only with these builders.

pub use opsflow_platform::events::*;

use crate::domain::approval::Outcome;
use crate::domain::WorkflowStatus;
use crate::store::approvals::{ApprovalRecord, DecisionRecord};
use crate::store::workflows::WorkflowRecord;
use crate::view::{approval_value, step_view, workflow_value, StepView};
use serde_json::Value;
use std::collections::HashMap;

/// The kinds of entity these events are about.
pub const WORKFLOW: &str = "workflow";
pub const APPROVAL: &str = "approval";

// Workflows: created as a DRAFT, activated, archived, any other change,
// deleted.
pub const WORKFLOW_CREATED: &str = "workflow.created";
pub const WORKFLOW_ACTIVATED: &str = "workflow.activated";
pub const WORKFLOW_ARCHIVED: &str = "workflow.archived";
pub const WORKFLOW_UPDATED: &str = "workflow.updated";
pub const WORKFLOW_DELETED: &str = "workflow.deleted";

// Approvals, by people: filed, withdrawn by the requester; decided (also
// by rules; a decision that leaves the request pending is
// `Outcome::event_type`).
pub const APPROVAL_CREATED: &str = "approval.created";
pub const APPROVAL_CANCELLED: &str = "approval.cancelled";
pub const APPROVAL_APPROVED: &str = "approval.approved";
pub const APPROVAL_REJECTED: &str = "approval.rejected";
/// The current step escalated: at its deadline (by the system) or by hand
/// (by one of its approvers).
pub const APPROVAL_ESCALATED: &str = "approval.escalated";

// Approvals, by rules only: a user made an approver of the current step,
// a field of the payload set.
pub const APPROVAL_APPROVER_ASSIGNED: &str = "approval.approver_assigned";
pub const APPROVAL_PAYLOAD_UPDATED: &str = "approval.payload_updated";

/// By the insights analyzer: the approval's risk was scored (first) or
/// scored differently (after a change); `data.risk` is the new risk.
pub const APPROVAL_RISK_SCORED: &str = "approval.risk_scored";

/// A workflow event whose `data` is `record` as it stands.
fn workflow_event(
    event_type: &str,
    record: &WorkflowRecord,
    actor: Actor,
    correlation_id: &str,
) -> Envelope {
    Envelope::new(
        event_type,
        WORKFLOW,
        record.id,
        actor,
        correlation_id,
        workflow_value(record),
    )
}

/// A new workflow.
pub fn workflow_created(record: &WorkflowRecord, actor: Actor, correlation_id: &str) -> Envelope {
    workflow_event(WORKFLOW_CREATED, record, actor, correlation_id)
}

/// A deleted workflow, as it was.
pub fn workflow_deleted(record: &WorkflowRecord, actor: Actor, correlation_id: &str) -> Envelope {
    workflow_event(WORKFLOW_DELETED, record, actor, correlation_id)
}

/// A change of a workflow from `before` to `after` (the next version):
/// activated, archived or otherwise updated.
pub fn workflow_changed(
    before: &WorkflowRecord,
    after: &WorkflowRecord,
    actor: Actor,
    correlation_id: &str,
) -> Envelope {
    let event_type = match (before.status, after.status) {
        (WorkflowStatus::Draft, WorkflowStatus::Active) => WORKFLOW_ACTIVATED,
        (_, WorkflowStatus::Archived) if before.status != WorkflowStatus::Archived => {
            WORKFLOW_ARCHIVED
        }
        _ => WORKFLOW_UPDATED,
    };
    let mut event = workflow_event(event_type, after, actor, correlation_id);
    if before.name != after.name {
        event = event.change("name", before.name.as_str(), after.name.as_str());
    }
    if before.description != after.description {
        event = event.change(
            "description",
            before.description.as_str(),
            after.description.as_str(),
        );
    }
    if before.workflow_type != after.workflow_type {
        event = event.change("type", &before.workflow_type, &after.workflow_type);
    }
    if before.status != after.status {
        event = event.change("status", before.status, after.status);
    }
    if before.allow_same_approver_across_steps != after.allow_same_approver_across_steps {
        event = event.change(
            "allow_same_approver_across_steps",
            before.allow_same_approver_across_steps,
            after.allow_same_approver_across_steps,
        );
    }
    if before.steps != after.steps {
        let old: Vec<StepView> = before.steps.iter().map(step_view).collect();
        let new: Vec<StepView> = after.steps.iter().map(step_view).collect();
        event = event.change("steps", old, new);
    }
    event
}

/// A newly filed approval.
pub fn approval_created(record: &ApprovalRecord, actor: Actor, correlation_id: &str) -> Envelope {
    Envelope::new(
        APPROVAL_CREATED,
        APPROVAL,
        record.id,
        actor,
        correlation_id,
        approval_value(record),
    )
    .change("status", Value::Null, record.status)
}

/// A transition by a person: its type says what happened (a decision's
/// outcome, or a withdrawal without one); its changes hold each changed
/// field and the decision made.
pub fn approval_transition(
    before: &ApprovalRecord,
    after: &ApprovalRecord,
    decision: Option<&DecisionRecord>,
    outcome: Option<Outcome>,
    actor: Actor,
    correlation_id: &str,
) -> Envelope {
    let event_type = outcome.map_or(APPROVAL_CANCELLED, Outcome::event_type);
    let mut event = Envelope::new(
        event_type,
        APPROVAL,
        after.id,
        actor,
        correlation_id,
        approval_value(after),
    );
    if before.status != after.status {
        event = event.change("status", before.status, after.status);
    }
    if before.current_step != after.current_step {
        event = event.change("current_step", before.current_step, after.current_step);
    }
    if before.step_approvals != after.step_approvals {
        event = event.change(
            "step_approvals",
            &before.step_approvals,
            &after.step_approvals,
        );
    }
    if let Some(decision) = decision {
        let made: HashMap<&str, Value> = HashMap::from([
            ("step", decision.step.into()),
            ("decision", decision.verdict.as_str().into()),
            ("comment", decision.comment.as_str().into()),
        ]);
        event = event.change("decision", Value::Null, made);
    }
    event
}

/// The escalation of `before`'s current step (`after` is the next
/// version): its changes hold the status and `escalation` — the step, who
/// escalated it (`null`: the system, at the deadline), the reason and the
/// deadline it had; `data.steps` shows who decides the step now.
pub fn approval_escalated(
    before: &ApprovalRecord,
    after: &ApprovalRecord,
    actor: Actor,
    correlation_id: &str,
) -> Envelope {
    let step = after.current();
    let escalated = step.and_then(|s| s.escalated.as_ref());
    let made = serde_json::json!({
        "step": after.current_step,
        "step_name": step.map(|s| s.name.as_str()),
        "by": escalated.and_then(|e| e.by).map(|by| by.to_string()),
        "reason": escalated.map(|e| e.reason.as_str()),
        "due_at": before.escalation_due.map(opsflow_platform::clock::sortable),
    });
    Envelope::new(
        APPROVAL_ESCALATED,
        APPROVAL,
        after.id,
        actor,
        correlation_id,
        approval_value(after),
    )
    .change("status", before.status, after.status)
    .change("escalation", Value::Null, made)
}

/// The risk of `before` recorded as `after`'s, by the system, under
/// `event_id` (derived from the change it was scored after, so a repeated
/// delivery finds it in the outbox). `changes.risk` is `[before, after]`,
/// each `{score, level}` or `null`.
pub fn approval_risk_scored(
    before: &ApprovalRecord,
    after: &ApprovalRecord,
    event_id: opsflow_platform::domain::EntityId,
    correlation_id: &str,
) -> Envelope {
    let summary = |record: &ApprovalRecord| {
        record
            .risk
            .as_ref()
            .map(|r| serde_json::json!({"score": r.score, "level": r.level}))
    };
    let mut event = Envelope::new(
        APPROVAL_RISK_SCORED,
        APPROVAL,
        after.id,
        Actor::system(),
        correlation_id,
        approval_value(after),
    )
    .change("risk", summary(before), summary(after));
    event.id = event_id;
    event
}

/// A change a rule made to an approval: by the system, one level deeper
/// than the event that triggered it, under the action's derived id (so a
/// repeated delivery finds it in the outbox).
pub fn approval_by_rule(
    event_type: &str,
    after: &ApprovalRecord,
    cause: &Envelope,
    event_id: crate::domain::EntityId,
) -> Envelope {
    let mut event = Envelope::new(
        event_type,
        APPROVAL,
        after.id,
        Actor::system(),
        &cause.correlation_id,
        approval_value(after),
    );
    event.id = event_id;
    event.depth = cause.depth + 1;
    event
}
