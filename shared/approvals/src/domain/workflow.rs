//! Workflows: named, ordered approval steps that approvals run through.
//!
//! A workflow is `DRAFT` while it is being designed, `ACTIVE` while
//! approvals may be filed against it, and `ARCHIVED` for good. Its steps are
//! fixed once it is active, so an approval in flight never sees its steps
//! change underneath it. So is its [`StepSeparation`]: by default a person
//! decides at most one step of a request; a workflow may opt out while it
//! is a draft.

use super::escalation::{Escalated, Escalation};
use super::{EntityId, Role};
use serde::{Deserialize, Serialize};

super::string_enum! {
    pub enum WorkflowStatus {
        Draft = "DRAFT",
        Active = "ACTIVE",
        Archived = "ARCHIVED",
    }
}

impl WorkflowStatus {
    /// The one place legal status changes are decided: `DRAFT → ACTIVE →
    /// ARCHIVED`. Staying put is not a transition and always allowed.
    pub fn transition(self, to: Self) -> Result<Self, String> {
        match (self, to) {
            (from, to) if from == to => Ok(to),
            (Self::Draft, Self::Active) | (Self::Active, Self::Archived) => Ok(to),
            (from, to) => Err(format!(
                "a {} workflow cannot become {}",
                from.as_str(),
                to.as_str()
            )),
        }
    }
}

super::text_newtype! {
    /// A workflow's name: trimmed, 1–120 characters, no control characters.
    pub struct WorkflowName(single_line, 120);
    /// Free text of at most 2000 characters (trimmed; may be empty).
    pub struct Description(free_text, 2000);
}

/// What kind of request a workflow decides (`HIGH_VALUE_TRANSACTION`):
/// read in any case and kept in upper case, a letter then up to 63
/// letters, digits or `_`. Approvals and decision rules meet on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkflowType(String);

impl WorkflowType {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<Self, String> {
        let text = input.trim().to_ascii_uppercase();
        let mut chars = text.chars();
        let valid = matches!(chars.next(), Some('A'..='Z'))
            && text.len() <= Self::MAX_CHARS
            && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if valid {
            Ok(Self(text))
        } else {
            Err(
                "must be a letter then up to 63 letters, digits or _, such as \
                 HIGH_VALUE_TRANSACTION"
                    .into(),
            )
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who may decide a step: anyone with a role, or named users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approvers {
    Role(Role),
    Users(Vec<EntityId>),
}

/// One step of a workflow: who decides it, and how many approvals complete
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub approvers: Approvers,
    pub required_approvals: u32,
    /// Users made approvers of this step on top of `approvers`, by a rule's
    /// `assign`. Only an approval's copy of a step ever has them; empty
    /// (and absent from the stored item) otherwise, so steps stored before
    /// assignments existed read back unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assigned: Vec<EntityId>,
    /// Who the step escalates to, and after how long by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
    /// When and why it escalated: only an approval's copy of a step, once
    /// escalated, has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated: Option<Escalated>,
}

/// Whether the steps of one request need different people (four eyes
/// across steps). An approval copies it from its workflow when filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepSeparation {
    /// A person decides at most one step of a request: whoever approved
    /// an earlier step is not an approver of the later ones. The default.
    #[default]
    Distinct,
    /// The workflow opted out (`allow_same_approver_across_steps`): one
    /// approver may decide every step they are named for.
    Waived,
}

impl StepSeparation {
    /// The separation a workflow's `allow_same_approver_across_steps` asks for.
    pub fn from_opt_out(allow_same_approver_across_steps: bool) -> Self {
        if allow_same_approver_across_steps {
            Self::Waived
        } else {
            Self::Distinct
        }
    }

    /// Whether `user`, having approved the earlier steps' `earlier_approvers`,
    /// is barred from deciding a later step.
    pub fn bars(self, earlier_approvers: &[EntityId], user: &EntityId) -> bool {
        self == Self::Distinct && earlier_approvers.contains(user)
    }
}

mod steps;

pub use steps::{parse_steps, StepInput, MAX_APPROVERS, MAX_STEPS};

#[cfg(test)]
mod tests {
    use super::*;
    use WorkflowStatus::*;

    #[test]
    fn draft_becomes_active() {
        assert_eq!(Draft.transition(Active), Ok(Active));
    }

    #[test]
    fn active_becomes_archived() {
        assert_eq!(Active.transition(Archived), Ok(Archived));
    }

    #[test]
    fn staying_put_is_allowed() {
        for status in WorkflowStatus::ALL {
            assert_eq!(status.transition(status), Ok(status));
        }
    }

    #[test]
    fn no_other_edge_exists() {
        for (from, to) in [
            (Draft, Archived),
            (Active, Draft),
            (Archived, Draft),
            (Archived, Active),
        ] {
            assert!(from.transition(to).is_err(), "{from} → {to}");
        }
    }
}
