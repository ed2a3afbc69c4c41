//! Workflows: named, ordered approval steps that approvals run through.
//!
//! A workflow is `DRAFT` while it is being designed, `ACTIVE` while
//! approvals may be filed against it, and `ARCHIVED` for good. Its steps are
//! fixed once it is active, so an approval in flight never sees its steps
//! change underneath it. So is its [`StepSeparation`]: by default a person
//! decides at most one step of a request; a workflow may opt out while it
//! is a draft.

use super::{EntityId, Role};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

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

/// A step as a client writes it: exactly one of `approver_role` and
/// `approver_ids`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// 1–120 characters once trimmed; `Step <n>` when left out.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 120, example = "Manager")
    )]
    pub name: Option<String>,
    /// Everyone with this role decides the step.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::role))]
    pub approver_role: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::approver_ids))]
    pub approver_ids: Option<Vec<String>>,
    /// How many approvals complete the step: 1–100, and at most the number
    /// of `approver_ids`.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100, example = 1))]
    pub required_approvals: u32,
}

/// The most steps a workflow may have.
pub const MAX_STEPS: usize = 10;
/// The most named approvers a step may have. Moving an approval from one
/// step to the next rewrites both steps' assignments in one transaction
/// (at most 100 items), which this bound keeps well within.
pub const MAX_APPROVERS: usize = 25;

/// Parses a list of steps, returning every problem with its path
/// (`steps[1].required_approvals`).
pub fn parse_steps(inputs: Vec<StepInput>) -> Result<Vec<Step>, Vec<(String, String)>> {
    let mut errors = Vec::new();
    if inputs.len() > MAX_STEPS {
        errors.push(("steps".to_owned(), format!("at most {MAX_STEPS} steps")));
    }
    let mut steps = Vec::new();
    for (i, input) in inputs.into_iter().enumerate() {
        let at = |field: &str| format!("steps[{i}].{field}");
        let name = input.name.unwrap_or_else(|| format!("Step {}", i + 1));
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 120 {
            errors.push((at("name"), "must be 1 to 120 characters".into()));
        }
        let approvers = match (input.approver_role, input.approver_ids) {
            (Some(role), None) => match Role::parse(&role) {
                Ok(Role::Auditor) => {
                    let message = "auditors change nothing: name admin, approver or user";
                    errors.push((at("approver_role"), message.into()));
                    None
                }
                Ok(role) => Some(Approvers::Role(role)),
                Err(_) => {
                    let message = "must be one of admin, approver, user";
                    errors.push((at("approver_role"), message.into()));
                    None
                }
            },
            (None, Some(ids)) => {
                let parsed: Result<Vec<EntityId>, _> =
                    ids.iter().map(|id| EntityId::parse(id)).collect();
                match parsed {
                    Err(_) => {
                        errors.push((at("approver_ids"), "must be user ids".into()));
                        None
                    }
                    Ok(ids) if ids.is_empty() || ids.len() > MAX_APPROVERS => {
                        errors.push((
                            at("approver_ids"),
                            format!("must name 1 to {MAX_APPROVERS} users"),
                        ));
                        None
                    }
                    Ok(ids) if ids.iter().collect::<HashSet<_>>().len() != ids.len() => {
                        errors.push((at("approver_ids"), "must not repeat a user".into()));
                        None
                    }
                    Ok(ids) => Some(Approvers::Users(ids)),
                }
            }
            _ => {
                errors.push((
                    at("approver_role"),
                    "give exactly one of approver_role and approver_ids".into(),
                ));
                None
            }
        };
        let required = input.required_approvals;
        let most = match &approvers {
            Some(Approvers::Users(ids)) => ids.len() as u32,
            _ => 100,
        };
        if required == 0 || required > most {
            errors.push((
                at("required_approvals"),
                format!("must be between 1 and {most}"),
            ));
        }
        if let Some(approvers) = approvers {
            steps.push(Step {
                name,
                approvers,
                required_approvals: required,
                assigned: Vec::new(),
            });
        }
    }
    if errors.is_empty() {
        Ok(steps)
    } else {
        Err(errors)
    }
}

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

    fn step(role: Option<&str>, ids: Option<Vec<String>>, required: u32) -> StepInput {
        StepInput {
            name: None,
            approver_role: role.map(str::to_owned),
            approver_ids: ids,
            required_approvals: required,
        }
    }

    #[test]
    fn steps_need_different_people_unless_the_workflow_opts_out() {
        let (earlier, other) = (EntityId::new(), EntityId::new());
        assert_eq!(StepSeparation::default(), StepSeparation::Distinct);
        let distinct = StepSeparation::from_opt_out(false);
        assert!(distinct.bars(&[earlier], &earlier));
        assert!(!distinct.bars(&[earlier], &other));
        let waived = StepSeparation::from_opt_out(true);
        assert_eq!(waived, StepSeparation::Waived);
        assert!(!waived.bars(&[earlier], &earlier));
    }

    #[test]
    fn steps_name_themselves_and_check_their_quorum() {
        let ids = vec![EntityId::new().to_string(), EntityId::new().to_string()];
        let steps = parse_steps(vec![
            step(Some("approver"), None, 2),
            step(None, Some(ids), 2),
        ])
        .expect("valid steps");
        assert_eq!(steps[0].name, "Step 1");
        assert_eq!(steps[0].approvers, Approvers::Role(Role::Approver));
        assert!(matches!(&steps[1].approvers, Approvers::Users(ids) if ids.len() == 2));
    }

    #[test]
    fn bad_steps_are_reported_with_their_paths() {
        let one = vec![EntityId::new().to_string()];
        let repeated = vec![one[0].clone(), one[0].clone()];
        let errors = parse_steps(vec![
            step(None, None, 1),
            step(Some("root"), None, 1),
            step(None, Some(one), 2),
            step(None, Some(vec!["x".into()]), 1),
            step(None, Some(repeated), 1),
            step(Some("user"), None, 0),
        ])
        .expect_err("invalid steps");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "steps[0].approver_role",
                "steps[1].approver_role",
                "steps[2].required_approvals",
                "steps[3].approver_ids",
                "steps[4].approver_ids",
                "steps[5].required_approvals",
            ]
        );
    }
}
