//! Escalation: a step left open too long, or handed up by one of its
//! approvers, is escalated. The approval becomes `ESCALATED` and the
//! step's escalation approvers (a role, or named users) become approvers
//! of that step beside those it had; the quorum stays the step's.
//!
//! The transitions it adds to those of [`super::approval`]:
//! - `PENDING → ESCALATED`: at the step's deadline (the system) or by hand
//!   (an approver of the current step, with an optional reason);
//! - `ESCALATED → PENDING`: the escalated step completed and the next one
//!   opened (it has a deadline of its own, if its step declares one);
//! - `ESCALATED → APPROVED | REJECTED | CANCELLED`: as from `PENDING`.
//!
//! A step escalates at most once; a final approval never does; a step
//! with no escalation approvers cannot be escalated.

use super::approval::{ApprovalStatus, Comment, Progress};
use super::workflow::StepSeparation;
use super::{Approvers, EntityId, Role, Step};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// How long a step may stay open before it escalates by itself: 1 second
/// to 30 days, written `45s`, `30m`, `4h`, `2d` or in ISO 8601 (`PT4H`,
/// `P1DT12H`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EscalateAfter(u32);

impl EscalateAfter {
    pub const MAX_SECS: u32 = 30 * 86_400;

    pub fn parse(input: &str) -> Result<Self, String> {
        let text = input.trim();
        let seconds = if text.starts_with(['P', 'p']) {
            iso_seconds(text)
        } else {
            short_seconds(text)
        };
        match seconds {
            Some(s) if (1..=u64::from(Self::MAX_SECS)).contains(&s) => {
                Ok(Self(u32::try_from(s).unwrap_or(Self::MAX_SECS)))
            }
            Some(_) => Err("must be from 1 second to 30 days".into()),
            None => Err(
                "must be a duration such as 45s, 30m, 4h, 2d or PT4H (ISO 8601, no weeks, \
                 months or years)"
                    .into(),
            ),
        }
    }

    pub fn seconds(self) -> u32 {
        self.0
    }

    pub fn duration(self) -> time::Duration {
        time::Duration::seconds(i64::from(self.0))
    }
}

/// The shortest way to write it: the largest unit that divides it.
impl fmt::Display for EscalateAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        match () {
            _ if s.is_multiple_of(86_400) => write!(f, "{}d", s / 86_400),
            _ if s.is_multiple_of(3_600) => write!(f, "{}h", s / 3_600),
            _ if s.is_multiple_of(60) => write!(f, "{}m", s / 60),
            _ => write!(f, "{s}s"),
        }
    }
}

fn unit_seconds(unit: char) -> Option<u64> {
    match unit.to_ascii_lowercase() {
        'd' => Some(86_400),
        'h' => Some(3_600),
        'm' => Some(60),
        's' => Some(1),
        _ => None,
    }
}

/// `4h`: digits then one unit.
fn short_seconds(text: &str) -> Option<u64> {
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 9 {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(unit_seconds(unit)?)
}

/// `P1DT4H30M`: days, then after `T` hours, minutes, seconds, each at
/// most once and in that order.
fn iso_seconds(text: &str) -> Option<u64> {
    let upper = text[1..].to_ascii_uppercase();
    let (date, time) = match upper.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (upper.as_str(), None),
    };
    let mut total = 0u64;
    let mut any = false;
    for (part, units) in [(date, "D"), (time.unwrap_or(""), "HMS")] {
        let mut rest = part;
        let mut allowed = units;
        while !rest.is_empty() {
            let end = rest.find(|c: char| !c.is_ascii_digit())?;
            let unit = rest[end..].chars().next()?;
            let at = allowed.find(unit)?;
            let digits = &rest[..end];
            if digits.is_empty() || digits.len() > 9 {
                return None;
            }
            let value: u64 = digits.parse().ok()?;
            total = total.checked_add(value.checked_mul(unit_seconds(unit)?)?)?;
            allowed = &allowed[at + 1..];
            rest = &rest[end + 1..];
            any = true;
        }
    }
    any.then_some(total)
}

/// Where a step goes when it escalates, and when it does by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The deadline, counted from when the step opened; none: only by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<EscalateAfter>,
    /// Who becomes an approver of the step when it escalates.
    pub to: Approvers,
}

/// What escalating an approval's step recorded on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalated {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The approver who escalated it by hand; none: the system, at the
    /// deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<EntityId>,
    pub reason: Comment,
}

/// Who asks for an escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalator {
    /// The system: the step's deadline passed.
    Deadline,
    /// An approver of the current step, by hand.
    Approver(EntityId, Role),
}

/// Why a step is not escalated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscalateRefusal {
    /// The approval is final (409).
    NotOpen(ApprovalStatus),
    /// The current step was escalated already (409).
    AlreadyEscalated,
    /// The current step names nobody to escalate to (409).
    NoTarget,
    /// The caller filed the request (403).
    OwnRequest,
    /// The caller is not an approver of the current step (403).
    NotAnApprover,
}

impl fmt::Display for EscalateRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotOpen(status) => write!(f, "the approval is already {status}"),
            Self::AlreadyEscalated => f.write_str("the current step is already escalated"),
            Self::NoTarget => f.write_str(
                "the current step names nobody to escalate to (its workflow sets no \
                 escalate_to_role or escalate_to_ids)",
            ),
            Self::OwnRequest => f.write_str("a requester cannot escalate their own request"),
            Self::NotAnApprover => f.write_str("you are not an approver of the current step"),
        }
    }
}

/// Escalates the current step of an approval in `progress` over `steps`
/// (kept apart by `separation`), filed by `requester`, as `by` asks, with
/// `reason` (may be empty), at `now`: returns the steps and the progress
/// after. By hand, only someone who could decide the step may: an
/// approver of it not barred for approving an earlier step.
pub fn escalate(
    steps: &[Step],
    separation: StepSeparation,
    progress: &Progress,
    requester: &EntityId,
    by: Escalator,
    reason: Comment,
    now: OffsetDateTime,
) -> Result<(Vec<Step>, Progress), EscalateRefusal> {
    if progress.status.is_final() {
        return Err(EscalateRefusal::NotOpen(progress.status));
    }
    let step = steps
        .get(progress.current_step)
        .ok_or(EscalateRefusal::NotOpen(progress.status))?;
    let by = match by {
        Escalator::Deadline => None,
        Escalator::Approver(user, _) if user == *requester => {
            return Err(EscalateRefusal::OwnRequest)
        }
        Escalator::Approver(user, role)
            if step.names(&user, role) && !separation.bars(&progress.earlier_approvers, &user) =>
        {
            Some(user)
        }
        Escalator::Approver(..) => return Err(EscalateRefusal::NotAnApprover),
    };
    if step.escalated.is_some() || progress.status == ApprovalStatus::Escalated {
        return Err(EscalateRefusal::AlreadyEscalated);
    }
    if step.escalation.is_none() {
        return Err(EscalateRefusal::NoTarget);
    }
    let mut after = steps.to_vec();
    if let Some(current) = after.get_mut(progress.current_step) {
        current.escalated = Some(Escalated {
            at: now,
            by,
            reason,
        });
    }
    let mut next = progress.clone();
    next.status = ApprovalStatus::Escalated;
    Ok((after, next))
}

#[cfg(test)]
#[path = "escalation_tests.rs"]
mod tests;
