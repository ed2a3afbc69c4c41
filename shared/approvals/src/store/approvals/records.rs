//! The items of an approval: the approval itself (its keys derived from
//! its id and status when it is written), one approver's decision on one
//! step, and the link items that list it in other partitions. Keys are in
//! the `//!` of `store::approvals`.

use super::super::{keys, Entity, Keys};
use crate::domain::approval::Progress;
use crate::domain::workflow::StepSeparation;
use crate::domain::{
    Amount, ApprovalRisk, ApprovalStatus, Comment, Description, EntityId, Payload, Role, Step,
    Title, Verdict, WorkflowName, WorkflowType,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub id: EntityId,
    pub workflow_id: EntityId,
    pub workflow_name: WorkflowName,
    /// The workflow's type when the approval was filed, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_type: Option<WorkflowType>,
    pub title: Title,
    pub description: Description,
    pub payload: Payload,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// The workflow's steps when the approval was filed.
    pub steps: Vec<Step>,
    pub current_step: usize,
    /// Who approved the current step so far.
    pub step_approvals: Vec<EntityId>,
    /// Who approved the steps already completed.
    #[serde(default)]
    pub earlier_approvers: Vec<EntityId>,
    /// The workflow's opt-out of step separation when the approval was
    /// filed: whether one person may decide several of its steps.
    #[serde(default)]
    pub allow_same_approver_across_steps: bool,
    pub status: ApprovalStatus,
    pub requester_id: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub decided_at: Option<OffsetDateTime>,
    /// When the current step escalates by itself: while it is open, not
    /// escalated, and its step has an `escalate_after`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub escalation_due: Option<OffsetDateTime>,
    /// Its risk as last scored: kept in an item of its own beside the
    /// approval ([`RiskRecord`]), never in the approval's, and filled in
    /// when the approval is read with its partition.
    #[serde(skip)]
    pub risk: Option<ApprovalRisk>,
    pub version: u64,
}

/// What a new approval is made of.
#[derive(Debug, Clone)]
pub struct NewApproval {
    pub workflow_id: EntityId,
    pub workflow_name: WorkflowName,
    pub workflow_type: Option<WorkflowType>,
    pub steps: Vec<Step>,
    pub title: Title,
    pub description: Description,
    pub payload: Payload,
    pub amount: Option<Amount>,
    pub requester_id: EntityId,
    /// The workflow's `allow_same_approver_across_steps`.
    pub allow_same_approver_across_steps: bool,
}

impl ApprovalRecord {
    pub fn new(new: NewApproval, now: OffsetDateTime) -> Self {
        Self {
            id: EntityId::new(),
            workflow_id: new.workflow_id,
            workflow_name: new.workflow_name,
            workflow_type: new.workflow_type,
            title: new.title,
            description: new.description,
            payload: new.payload,
            amount: new.amount,
            steps: new.steps,
            current_step: 0,
            step_approvals: Vec::new(),
            earlier_approvers: Vec::new(),
            allow_same_approver_across_steps: new.allow_same_approver_across_steps,
            status: ApprovalStatus::Pending,
            requester_id: new.requester_id,
            created_at: now,
            updated_at: now,
            decided_at: None,
            escalation_due: None,
            risk: None,
            version: 1,
        }
        .with_deadline(now)
    }

    /// This approval with the deadline of its current step, opened at
    /// `opened`: none once final or escalated, or when the step has none.
    fn with_deadline(mut self, opened: OffsetDateTime) -> Self {
        self.escalation_due = match self.current() {
            Some(step) if self.status.is_open() && step.escalated.is_none() => step
                .escalation
                .as_ref()
                .and_then(|e| e.after)
                .map(|after| opened + after.duration()),
            _ => None,
        };
        self
    }

    pub fn progress(&self) -> Progress {
        Progress {
            status: self.status,
            current_step: self.current_step,
            step_approvals: self.step_approvals.clone(),
            earlier_approvers: self.earlier_approvers.clone(),
        }
    }

    /// Whether its steps need different people.
    pub fn separation(&self) -> StepSeparation {
        StepSeparation::from_opt_out(self.allow_same_approver_across_steps)
    }

    /// This approval after a change of progress at `now`: the next version.
    pub fn advanced(&self, progress: Progress, now: OffsetDateTime) -> Self {
        let mut next = self.revised(now);
        next.status = progress.status;
        next.current_step = progress.current_step;
        next.step_approvals = progress.step_approvals;
        next.earlier_approvers = progress.earlier_approvers;
        if next.status.is_final() {
            next.decided_at = Some(now);
        }
        if next.status.is_final() || next.current_step != self.current_step {
            next = next.with_deadline(now);
        }
        next
    }

    /// This approval after its current step escalated at `now`
    /// ([`crate::domain::escalation::escalate`]'s steps and progress).
    pub fn escalated(&self, steps: Vec<Step>, progress: Progress, now: OffsetDateTime) -> Self {
        let mut next = self.advanced(progress, now);
        next.steps = steps;
        next.with_deadline(now)
    }

    /// Its current deadline as the item that lists it by due time.
    pub fn deadline(&self) -> Option<EscalationDue> {
        self.escalation_due.map(|due_at| EscalationDue {
            approval_id: self.id,
            step: self.current_step,
            due_at,
        })
    }

    /// The next version of this approval, changed at `now`, for a change
    /// that leaves its progress alone (its steps' assignees, its payload).
    pub fn revised(&self, now: OffsetDateTime) -> Self {
        let mut next = self.clone();
        next.updated_at = now;
        next.version += 1;
        next
    }

    pub fn current(&self) -> Option<&Step> {
        self.steps.get(self.current_step)
    }

    /// Whether `user` (of `role`) is an approver of any of its steps.
    pub fn names_approver(&self, user: &EntityId, role: Role) -> bool {
        self.steps.iter().any(|step| step.names(user, role))
    }

    /// A link for the workflow's or the requester's listing.
    pub(super) fn link(&self, pk: String) -> ApprovalLink {
        ApprovalLink {
            pk,
            approval_id: self.id,
            status: self.status,
            workflow_id: self.workflow_id,
            requester_id: self.requester_id,
            decided_by: Vec::new(),
        }
    }

    /// A link for an assignee's listing of the current step: it leaves out
    /// whoever approved an earlier step, unless separation is waived, and
    /// whoever approved this step already (a link made when the step
    /// escalates).
    pub(super) fn assignee_link(&self, pk: String) -> ApprovalLink {
        let mut decided_by = match self.separation() {
            StepSeparation::Distinct => self.earlier_approvers.clone(),
            StepSeparation::Waived => Vec::new(),
        };
        decided_by.extend(
            self.step_approvals
                .iter()
                .filter(|user| !decided_by.contains(user))
                .copied()
                .collect::<Vec<_>>(),
        );
        ApprovalLink {
            decided_by,
            ..self.link(pk)
        }
    }
}

/// One approver's decision on one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub approval_id: EntityId,
    pub step: usize,
    pub step_name: String,
    pub approver_id: EntityId,
    pub approver_role: Role,
    pub verdict: Verdict,
    pub comment: Comment,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
}

impl DecisionRecord {
    pub fn new(
        approval: &ApprovalRecord,
        approver_id: EntityId,
        approver_role: Role,
        verdict: Verdict,
        comment: Comment,
        now: OffsetDateTime,
    ) -> Self {
        let step = approval.current_step;
        Self {
            approval_id: approval.id,
            step,
            step_name: approval
                .current()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            approver_id,
            approver_role,
            verdict,
            comment,
            decided_at: now,
        }
    }
}

/// The deadline of an approval's open step, listed by due time in one of
/// the escalation shards; written and removed with the approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationDue {
    pub approval_id: EntityId,
    /// The step it is the deadline of.
    pub step: usize,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
}

impl Entity for EscalationDue {
    const TYPE: &'static str = "escalation_due";

    fn keys(&self) -> Keys {
        let millis = i64::try_from(self.due_at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        Keys::table(
            keys::escalation_due_pk(keys::escalation_shard(&self.approval_id)),
            keys::escalation_due_sk(millis, &self.approval_id),
        )
    }
}

/// A pointer to an approval from a partition that lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct ApprovalLink {
    /// The partition that lists the approval (its sort key is the
    /// approval's).
    #[serde(skip)]
    pk: String,
    pub(super) approval_id: EntityId,
    status: ApprovalStatus,
    workflow_id: EntityId,
    requester_id: EntityId,
    decided_by: Vec<EntityId>,
}

/// `gsi1`: every approval; `gsi2`: the approvals of its status. Both sort
/// by id (= filing): [`keys::approval_sort`] is its `pk`.
impl Entity for ApprovalRecord {
    const TYPE: &'static str = "approval";

    fn keys(&self) -> Keys {
        let by_status = keys::approvals_by_status_gsi2pk(self.status);
        let pk = keys::approval_pk(&self.id);
        Keys::by_pk(pk, keys::APPROVAL_SK, keys::APPROVALS_GSI1PK, by_status)
    }
}

/// An approval's risk, beside it: written only by the insights analyzer,
/// never by the approval's own transactions, so neither overwrites the
/// other. `scored_ms` orders the writes: a risk scored after an older
/// change never replaces one scored after a newer one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskRecord {
    pub approval_id: EntityId,
    #[serde(flatten)]
    pub risk: ApprovalRisk,
    pub scored_ms: i64,
}

impl Entity for RiskRecord {
    const TYPE: &'static str = "approval_risk";

    fn keys(&self) -> Keys {
        Keys::table(keys::approval_pk(&self.approval_id), keys::RISK_SK)
    }
}

/// Beside its approval, one per approver and step.
impl Entity for DecisionRecord {
    const TYPE: &'static str = "approval_decision";

    fn keys(&self) -> Keys {
        Keys::table(
            keys::approval_pk(&self.approval_id),
            keys::decision_sk(self.step, &self.approver_id),
        )
    }
}

impl Entity for ApprovalLink {
    const TYPE: &'static str = "approval_link";

    fn keys(&self) -> Keys {
        Keys::table(self.pk.clone(), keys::approval_sort(&self.approval_id))
    }
}

/// The partitions an approval's links live in, besides its assignees'.
pub(super) fn owner_links(record: &ApprovalRecord) -> [String; 2] {
    [
        keys::workflow_pk(&record.workflow_id),
        keys::user_pk(&record.requester_id),
    ]
}

/// The assignee partitions of a step: its role's, and each user's it names
/// or has assigned. Never the same one twice, as one transaction may hold
/// one operation per item.
pub(super) fn assignee_pks(step: &Step) -> Vec<String> {
    let mut pks: Vec<String> = Vec::new();
    let roles = step.roles().map(keys::assigned_to_role_pk);
    for pk in roles.chain(step.named_users().map(keys::assigned_to_user_pk)) {
        if !pks.contains(&pk) {
            pks.push(pk);
        }
    }
    pks
}
