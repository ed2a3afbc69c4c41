//! Approvals: a request filed against an active workflow, decided step by
//! step by the approvers each step names.
//!
//! An approval is open — `PENDING`, or `ESCALATED` while its current step
//! is escalated ([`super::escalation`]) — until its last step reaches its
//! quorum (`APPROVED`), an approver rejects it (`REJECTED`) or its
//! requester withdraws it (`CANCELLED`); those three are final. The workflow's steps
//! are copied into the approval when it is filed, so later changes to the
//! workflow never move an approval in flight.
//!
//! The rules of deciding live here, free of storage, in [`decide`]:
//! - only an eligible approver of the *current* step decides it: the step's
//!   role, one of its named users, or a user assigned to it ([`assign`]);
//! - a requester never decides their own request;
//! - one decision per approver per step;
//! - a person decides at most one step of a request: whoever approved an
//!   earlier step is refused the later ones (403, like any caller who is
//!   not an approver of the step), unless the workflow waived it
//!   ([`StepSeparation::Waived`]);
//! - a step completes when its approvals reach `required_approvals`; the
//!   last step's completion approves the request; one rejection ends it.

use super::workflow::StepSeparation;
use super::{EntityId, Role, Step};
use serde::{Deserialize, Serialize};
use std::fmt;

mod assignment;

pub use assignment::{assign, AssignRefusal};

super::string_enum! {
    pub enum ApprovalStatus {
        Pending = "PENDING",
        /// Still open: its current step passed its deadline or was handed
        /// up, and its escalation approvers decide it too.
        Escalated = "ESCALATED",
        Approved = "APPROVED",
        Rejected = "REJECTED",
        Cancelled = "CANCELLED",
    }
}

impl ApprovalStatus {
    /// Approved, rejected or cancelled: nothing moves it any more.
    pub fn is_final(self) -> bool {
        !self.is_open()
    }

    /// Pending or escalated: its current step waits on its approvers.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Escalated)
    }
}

super::string_enum! {
    /// What an approver says about the current step.
    pub enum Verdict {
        Approved = "APPROVED",
        Rejected = "REJECTED",
    }
}

super::text_newtype! {
    /// An approval's title: trimmed, 1–200 characters, one line.
    pub struct Title(single_line, 200);
    /// A decision's comment: at most 1000 characters (trimmed; may be empty).
    pub struct Comment(free_text, 1000);
}

/// The free-form data of a request: the kernel's bounded JSON object
/// (16 KiB, 16 levels), stored as its JSON text.
pub use opsflow_platform::domain::JsonObject as Payload;

/// A monetary amount: finite, 0 to 10¹², at most two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(f64);

impl Amount {
    pub const MAX: f64 = 1e12;

    pub fn parse(input: f64) -> Result<Self, String> {
        if !input.is_finite() || !(0.0..=Self::MAX).contains(&input) {
            return Err("must be a number from 0 to 1000000000000".into());
        }
        let cents = input * 100.0;
        if (cents - cents.round()).abs() > 1e-6 {
            return Err("must have at most two decimals".into());
        }
        Ok(Self(input))
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

impl Step {
    /// Whether `user` (of `role`) is one of this step's approvers: by its
    /// role, by name, assigned to it, or as its escalation approvers once
    /// it escalated.
    pub fn names(&self, user: &EntityId, role: Role) -> bool {
        self.roles().any(|r| r == role) || self.named_users().any(|named| named == user)
    }

    /// The roles whose holders decide this step: its own, then its
    /// escalation role once it escalated.
    pub fn roles(&self) -> impl Iterator<Item = Role> + '_ {
        let escalation = self.escalated.as_ref().and(self.escalation.as_ref());
        [Some(&self.approvers), escalation.map(|e| &e.to)]
            .into_iter()
            .flatten()
            .filter_map(|approvers| match approvers {
                super::Approvers::Role(role) => Some(*role),
                super::Approvers::Users(_) => None,
            })
    }

    /// The users this step names: its listed approvers, those assigned to
    /// it, then its escalation approvers once it escalated.
    pub fn named_users(&self) -> impl Iterator<Item = &EntityId> {
        fn users(approvers: &super::Approvers) -> &[EntityId] {
            match approvers {
                super::Approvers::Role(_) => &[],
                super::Approvers::Users(ids) => ids.as_slice(),
            }
        }
        let escalated = match (&self.escalated, &self.escalation) {
            (Some(_), Some(escalation)) => users(&escalation.to),
            _ => &[][..],
        };
        users(&self.approvers)
            .iter()
            .chain(&self.assigned)
            .chain(escalated)
    }
}

/// Where an approval stands: what [`decide`] reads and returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub status: ApprovalStatus,
    /// Index into the steps of the step being decided.
    pub current_step: usize,
    /// Who has approved the current step so far.
    pub step_approvals: Vec<EntityId>,
    /// Who approved the steps already completed, each once.
    pub earlier_approvers: Vec<EntityId>,
}

/// What a decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The approval counted; the step still waits for more.
    Recorded,
    /// The step reached its quorum; the next step is now current.
    StepCompleted,
    /// The last step reached its quorum: the request is approved.
    Approved,
    /// An approver rejected the request.
    Rejected,
}

impl Outcome {
    /// The event type that announces it.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::Recorded => "approval.decision_recorded",
            Self::StepCompleted => "approval.step_completed",
            Self::Approved => "approval.approved",
            Self::Rejected => "approval.rejected",
        }
    }
}

/// Why a decision is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The caller filed the request (403).
    OwnRequest,
    /// The caller is not an approver of the current step (403).
    NotAnApprover,
    /// The approval is final (409).
    NotPending(ApprovalStatus),
    /// The caller already decided the current step (409).
    AlreadyDecided,
    /// The caller approved an earlier step of this request, and the
    /// workflow wants a different person for each step (403).
    DecidedEarlierStep,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OwnRequest => f.write_str("a requester cannot decide their own request"),
            Self::NotAnApprover => f.write_str("you are not an approver of the current step"),
            Self::NotPending(status) => write!(f, "the approval is already {status}"),
            Self::AlreadyDecided => f.write_str("you have already decided the current step"),
            Self::DecidedEarlierStep => f.write_str(
                "you approved an earlier step of this request, and each step needs a different approver",
            ),
        }
    }
}

/// Applies one approver's verdict to an approval in `progress` over
/// `steps`, filed by `requester`, whose steps need different people unless
/// `separation` is waived.
pub fn decide(
    steps: &[Step],
    separation: StepSeparation,
    progress: &Progress,
    requester: &EntityId,
    approver: &EntityId,
    role: Role,
    verdict: Verdict,
) -> Result<(Progress, Outcome), Refusal> {
    if progress.status.is_final() {
        return Err(Refusal::NotPending(progress.status));
    }
    if approver == requester {
        return Err(Refusal::OwnRequest);
    }
    let step = steps
        .get(progress.current_step)
        .ok_or(Refusal::NotPending(progress.status))?;
    if !step.names(approver, role) {
        return Err(Refusal::NotAnApprover);
    }
    if progress.step_approvals.contains(approver) {
        return Err(Refusal::AlreadyDecided);
    }
    if separation.bars(&progress.earlier_approvers, approver) {
        return Err(Refusal::DecidedEarlierStep);
    }
    let mut next = progress.clone();
    if verdict == Verdict::Rejected {
        next.status = ApprovalStatus::Rejected;
        return Ok((next, Outcome::Rejected));
    }
    next.step_approvals.push(*approver);
    let quorum = usize::try_from(step.required_approvals).unwrap_or(usize::MAX);
    if next.step_approvals.len() < quorum {
        return Ok((next, Outcome::Recorded));
    }
    if progress.current_step + 1 == steps.len() {
        next.status = ApprovalStatus::Approved;
        return Ok((next, Outcome::Approved));
    }
    next.current_step += 1;
    // The next step opens as it was written: an escalation was the
    // completed step's.
    next.status = ApprovalStatus::Pending;
    for done in std::mem::take(&mut next.step_approvals) {
        if !next.earlier_approvers.contains(&done) {
            next.earlier_approvers.push(done);
        }
    }
    Ok((next, Outcome::StepCompleted))
}

/// Withdraws a pending request; only its requester may (the caller checks
/// who is asking).
pub fn cancel(progress: &Progress) -> Result<Progress, Refusal> {
    if progress.status.is_final() {
        return Err(Refusal::NotPending(progress.status));
    }
    let mut next = progress.clone();
    next.status = ApprovalStatus::Cancelled;
    Ok(next)
}

/// Settles a pending request by a rule's verdict: the rule acts as the
/// system, over every step, so no approver rule applies; a final request
/// stays as it is ([`Refusal::NotPending`]).
pub fn settle(progress: &Progress, verdict: Verdict) -> Result<Progress, Refusal> {
    if progress.status.is_final() {
        return Err(Refusal::NotPending(progress.status));
    }
    let mut next = progress.clone();
    next.status = match verdict {
        Verdict::Approved => ApprovalStatus::Approved,
        Verdict::Rejected => ApprovalStatus::Rejected,
    };
    Ok(next)
}

#[cfg(test)]
#[path = "approval_tests.rs"]
mod tests;
