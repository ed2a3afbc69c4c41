//! Assigning a user to an approval's current step: the user becomes one
//! more approver of that step only, on top of those the workflow named.
//!
//! The invariants [`super::decide`] relies on hold after an assignment: a
//! requester is never an approver of their own request, a step never names
//! a user twice, no step names more than [`MAX_APPROVERS`] users (the
//! bound that keeps a step change within one transaction), and, unless the
//! workflow waived it, nobody who approved an earlier step is assigned to a
//! later one (they could not decide it).

use super::{ApprovalStatus, Progress};
use crate::domain::workflow::{StepSeparation, MAX_APPROVERS};
use crate::domain::{EntityId, Role, Step};
use std::fmt;

/// Why a user cannot be assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignRefusal {
    /// The approval is final: no step waits on anyone.
    NotPending(ApprovalStatus),
    /// The user filed the request.
    OwnRequest,
    /// The current step already names the most users a step may.
    StepFull,
    /// The user approved an earlier step, and each step needs a different
    /// person.
    DecidedEarlierStep,
}

impl fmt::Display for AssignRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPending(status) => write!(
                f,
                "the approval is already {status}; only a pending approval takes approvers"
            ),
            Self::OwnRequest => f.write_str(
                "the user filed the request, and requesters never decide their own requests",
            ),
            Self::StepFull => write!(
                f,
                "the current step already names {MAX_APPROVERS} users, the most a step may"
            ),
            Self::DecidedEarlierStep => f.write_str(
                "the user approved an earlier step of the request, and each step needs a different approver",
            ),
        }
    }
}

/// Makes `user` (of `role`) an approver of the current step of an approval
/// in `progress` over `steps` (kept apart by `separation`), filed by
/// `requester`. Returns the steps after, or `None` when the user already
/// is an approver of that step (by its role, by name or assigned), so there
/// is nothing to change.
pub fn assign(
    steps: &[Step],
    separation: StepSeparation,
    progress: &Progress,
    requester: &EntityId,
    user: &EntityId,
    role: Role,
) -> Result<Option<Vec<Step>>, AssignRefusal> {
    if progress.status.is_final() {
        return Err(AssignRefusal::NotPending(progress.status));
    }
    if user == requester {
        return Err(AssignRefusal::OwnRequest);
    }
    if separation.bars(&progress.earlier_approvers, user) {
        return Err(AssignRefusal::DecidedEarlierStep);
    }
    let step = steps
        .get(progress.current_step)
        .ok_or(AssignRefusal::NotPending(progress.status))?;
    if step.names(user, role) {
        return Ok(None);
    }
    if step.named_users().count() >= MAX_APPROVERS {
        return Err(AssignRefusal::StepFull);
    }
    let mut after = steps.to_vec();
    if let Some(current) = after.get_mut(progress.current_step) {
        current.assigned.push(*user);
    }
    Ok(Some(after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::approval::{decide, Outcome, Verdict};
    use crate::domain::Approvers;

    fn step(approvers: Approvers) -> Step {
        Step {
            name: "Review".into(),
            approvers,
            required_approvals: 1,
            assigned: Vec::new(),
            escalation: None,
            escalated: None,
        }
    }

    fn at(current_step: usize) -> Progress {
        Progress {
            status: ApprovalStatus::Pending,
            current_step,
            step_approvals: Vec::new(),
            earlier_approvers: Vec::new(),
        }
    }

    #[test]
    fn an_assigned_user_can_decide_a_role_step_they_lack_the_role_for() {
        let steps = vec![step(Approvers::Role(Role::Approver))];
        let (requester, user) = (EntityId::new(), EntityId::new());
        let approve = |steps: &[Step]| {
            decide(
                steps,
                StepSeparation::Distinct,
                &at(0),
                &requester,
                &user,
                Role::User,
                Verdict::Approved,
            )
        };
        assert!(approve(&steps).is_err());

        let after = assign(
            &steps,
            StepSeparation::Distinct,
            &at(0),
            &requester,
            &user,
            Role::User,
        )
        .unwrap()
        .unwrap();

        assert_eq!(after[0].assigned, [user]);
        assert_eq!(approve(&after).unwrap().1, Outcome::Approved);
    }

    #[test]
    fn only_the_current_step_gains_the_assignee() {
        let boss = EntityId::new();
        let steps = vec![
            step(Approvers::Role(Role::Approver)),
            step(Approvers::Users(vec![boss])),
        ];
        let user = EntityId::new();

        let after = assign(
            &steps,
            StepSeparation::Distinct,
            &at(1),
            &EntityId::new(),
            &user,
            Role::User,
        )
        .unwrap()
        .unwrap();

        assert!(after[0].assigned.is_empty());
        assert_eq!(after[1].named_users().collect::<Vec<_>>(), [&boss, &user]);
    }

    #[test]
    fn a_user_who_already_decides_the_step_changes_nothing() {
        let named = EntityId::new();
        let requester = EntityId::new();
        let by_role = vec![step(Approvers::Role(Role::Approver))];
        let by_name = vec![step(Approvers::Users(vec![named]))];
        let mut assigned = by_role.clone();
        assigned[0].assigned.push(named);

        for (steps, role) in [
            (&by_role, Role::Approver),
            (&by_name, Role::User),
            (&assigned, Role::User),
        ] {
            assert_eq!(
                assign(
                    steps,
                    StepSeparation::Distinct,
                    &at(0),
                    &requester,
                    &named,
                    role
                ),
                Ok(None)
            );
        }
    }

    #[test]
    fn a_requester_is_never_assigned_to_their_own_request() {
        let steps = vec![step(Approvers::Role(Role::Approver))];
        let requester = EntityId::new();
        assert_eq!(
            assign(
                &steps,
                StepSeparation::Distinct,
                &at(0),
                &requester,
                &requester,
                Role::User
            ),
            Err(AssignRefusal::OwnRequest)
        );
    }

    #[test]
    fn an_earlier_approver_is_assigned_to_a_later_step_only_when_separation_is_waived() {
        let steps = vec![
            step(Approvers::Role(Role::Approver)),
            step(Approvers::Role(Role::Admin)),
        ];
        let (requester, earlier) = (EntityId::new(), EntityId::new());
        let mut second = at(1);
        second.earlier_approvers = vec![earlier];

        assert_eq!(
            assign(
                &steps,
                StepSeparation::Distinct,
                &second,
                &requester,
                &earlier,
                Role::Approver
            ),
            Err(AssignRefusal::DecidedEarlierStep)
        );
        let after = assign(
            &steps,
            StepSeparation::Waived,
            &second,
            &requester,
            &earlier,
            Role::Approver,
        )
        .unwrap()
        .unwrap();
        assert_eq!(after[1].assigned, [earlier]);
    }

    #[test]
    fn a_final_approval_takes_no_assignee() {
        let steps = vec![step(Approvers::Role(Role::Approver))];
        let mut done = at(0);
        done.status = ApprovalStatus::Approved;
        assert_eq!(
            assign(
                &steps,
                StepSeparation::Distinct,
                &done,
                &EntityId::new(),
                &EntityId::new(),
                Role::User
            ),
            Err(AssignRefusal::NotPending(ApprovalStatus::Approved))
        );
    }

    #[test]
    fn a_step_naming_the_most_users_takes_no_more() {
        let full: Vec<EntityId> = (0..MAX_APPROVERS).map(|_| EntityId::new()).collect();
        let mut role_step = step(Approvers::Role(Role::Approver));
        role_step.assigned = full.clone();
        let mut mixed = step(Approvers::Users(full[..10].to_vec()));
        mixed.assigned = full[10..].to_vec();

        for steps in [
            vec![step(Approvers::Users(full.clone()))],
            vec![role_step],
            vec![mixed],
        ] {
            assert_eq!(
                assign(
                    &steps,
                    StepSeparation::Distinct,
                    &at(0),
                    &EntityId::new(),
                    &EntityId::new(),
                    Role::User
                ),
                Err(AssignRefusal::StepFull)
            );
        }
    }
}
