//! Steps as a client writes them, parsed into [`Step`]s with every problem
//! reported by its path (`steps[1].escalate_after`). A step names its
//! approvers by exactly one of a role and a list of users, and so does its
//! escalation, if it has one; an auditor is never an approver; a deadline
//! (`escalate_after`) needs somebody to escalate to.

use super::super::escalation::{EscalateAfter, Escalation};
use super::super::{EntityId, Role};
use super::{Approvers, Step};
use serde::Deserialize;
use std::collections::HashSet;

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
    /// How long the step may stay open before it escalates by itself:
    /// `45s`, `30m`, `4h`, `2d` or ISO 8601 (`PT4H`), 1 second to 30 days;
    /// needs `escalate_to_role` or `escalate_to_ids`.
    #[cfg_attr(feature = "openapi", schema(example = "4h"))]
    pub escalate_after: Option<String>,
    /// When the step escalates, everyone with this role decides it too.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::role))]
    pub escalate_to_role: Option<String>,
    /// When the step escalates, these users (1–25) decide it too.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::approver_ids))]
    pub escalate_to_ids: Option<Vec<String>>,
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
        let approvers = parse_approvers(
            &mut errors,
            (&at("approver_role"), input.approver_role),
            (&at("approver_ids"), input.approver_ids),
        )
        .unwrap_or_else(|| {
            errors.push((
                at("approver_role"),
                "give exactly one of approver_role and approver_ids".into(),
            ));
            None
        });
        let escalation = parse_escalation(
            &mut errors,
            &at,
            input.escalate_after,
            input.escalate_to_role,
            input.escalate_to_ids,
        );
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
                escalation,
                escalated: None,
            });
        }
    }
    if errors.is_empty() {
        Ok(steps)
    } else {
        Err(errors)
    }
}

/// Who a role or a list of users names, from the two fields that may say
/// it (`role`, `ids`, each with its path): `None` when neither or both
/// were given; `Some(None)` when the one given is wrong (reported).
fn parse_approvers(
    errors: &mut Vec<(String, String)>,
    (role_field, role): (&str, Option<String>),
    (ids_field, ids): (&str, Option<Vec<String>>),
) -> Option<Option<Approvers>> {
    let mut problem = |field: &str, message: &str| {
        errors.push((field.to_owned(), message.to_owned()));
        Some(None)
    };
    match (role, ids) {
        (Some(role), None) => match Role::parse(&role) {
            Ok(Role::Auditor) => problem(
                role_field,
                "auditors change nothing: name admin, approver or user",
            ),
            Ok(role) => Some(Some(Approvers::Role(role))),
            Err(_) => problem(role_field, "must be one of admin, approver, user"),
        },
        (None, Some(ids)) => {
            let parsed: Result<Vec<EntityId>, _> =
                ids.iter().map(|id| EntityId::parse(id)).collect();
            match parsed {
                Err(_) => problem(ids_field, "must be user ids"),
                Ok(ids) if ids.is_empty() || ids.len() > MAX_APPROVERS => {
                    problem(ids_field, &format!("must name 1 to {MAX_APPROVERS} users"))
                }
                Ok(ids) if ids.iter().collect::<HashSet<_>>().len() != ids.len() => {
                    problem(ids_field, "must not repeat a user")
                }
                Ok(ids) => Some(Some(Approvers::Users(ids))),
            }
        }
        _ => None,
    }
}

/// A step's escalation, from its three fields: none when all are absent.
fn parse_escalation(
    errors: &mut Vec<(String, String)>,
    at: &dyn Fn(&str) -> String,
    after: Option<String>,
    role: Option<String>,
    ids: Option<Vec<String>>,
) -> Option<Escalation> {
    let after = match after.map(|text| EscalateAfter::parse(&text)) {
        Some(Err(message)) => {
            errors.push((at("escalate_after"), message));
            None
        }
        Some(Ok(after)) => Some(after),
        None => None,
    };
    let both = role.is_some() && ids.is_some();
    let to = parse_approvers(
        errors,
        (&at("escalate_to_role"), role),
        (&at("escalate_to_ids"), ids),
    );
    match to {
        Some(Some(to)) => Some(Escalation { after, to }),
        Some(None) => None,
        None if both => {
            let message = "give at most one of escalate_to_role and escalate_to_ids";
            errors.push((at("escalate_to_role"), message.into()));
            None
        }
        None if after.is_some() => {
            let message = "needs somebody to escalate to: escalate_to_role or escalate_to_ids";
            errors.push((at("escalate_after"), message.into()));
            None
        }
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::StepSeparation;
    use super::*;

    fn step(role: Option<&str>, ids: Option<Vec<String>>, required: u32) -> StepInput {
        StepInput {
            name: None,
            approver_role: role.map(str::to_owned),
            approver_ids: ids,
            required_approvals: required,
            escalate_after: None,
            escalate_to_role: None,
            escalate_to_ids: None,
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

    fn escalating(after: Option<&str>, role: Option<&str>, ids: Option<Vec<String>>) -> StepInput {
        StepInput {
            escalate_after: after.map(str::to_owned),
            escalate_to_role: role.map(str::to_owned),
            escalate_to_ids: ids,
            ..step(Some("approver"), None, 1)
        }
    }

    #[test]
    fn a_step_escalates_to_a_role_or_to_users_after_its_deadline() {
        let boss = EntityId::new();
        let steps = parse_steps(vec![
            escalating(Some("4h"), Some("admin"), None),
            escalating(None, None, Some(vec![boss.to_string()])),
            step(Some("approver"), None, 1),
        ])
        .expect("valid steps");
        let first = steps[0].escalation.as_ref().expect("an escalation");
        assert_eq!(first.after.map(|a| a.seconds()), Some(4 * 3600));
        assert_eq!(first.to, Approvers::Role(Role::Admin));
        let second = steps[1].escalation.as_ref().expect("an escalation");
        assert_eq!(
            (second.after, &second.to),
            (None, &Approvers::Users(vec![boss]))
        );
        assert_eq!(steps[2].escalation, None);
    }

    #[test]
    fn bad_escalations_are_reported_with_their_paths() {
        let errors = parse_steps(vec![
            escalating(Some("4h"), None, None),
            escalating(Some("soon"), Some("admin"), None),
            escalating(None, Some("auditor"), None),
            escalating(None, Some("admin"), Some(vec![EntityId::new().to_string()])),
            escalating(None, None, Some(Vec::new())),
            escalating(Some("31d"), Some("root"), None),
        ])
        .expect_err("invalid escalations");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "steps[0].escalate_after",
                "steps[1].escalate_after",
                "steps[2].escalate_to_role",
                "steps[3].escalate_to_role",
                "steps[4].escalate_to_ids",
                "steps[5].escalate_after",
                "steps[5].escalate_to_role",
            ]
        );
    }
}
