//! The approval state machine: every edge, quorums, four eyes across
//! steps, and who may decide.

use super::*;
use crate::domain::Approvers;

fn role_step(role: Role, required: u32) -> Step {
    Step {
        name: "role".into(),
        approvers: Approvers::Role(role),
        required_approvals: required,
        assigned: Vec::new(),
        escalation: None,
        escalated: None,
    }
}

/// A step that names its approvers, each of whom completes it.
fn users_step(name: &str, users: Vec<EntityId>) -> Step {
    Step {
        name: name.into(),
        approvers: Approvers::Users(users),
        required_approvals: 1,
        assigned: Vec::new(),
        escalation: None,
        escalated: None,
    }
}

fn pending() -> Progress {
    Progress {
        status: ApprovalStatus::Pending,
        current_step: 0,
        step_approvals: Vec::new(),
        earlier_approvers: Vec::new(),
    }
}

/// `verdict` of an approver (`who`, of the `approver` role) on someone
/// else's request, its workflow keeping steps to distinct people.
fn approver_decides(
    steps: &[Step],
    progress: &Progress,
    who: &EntityId,
    verdict: Verdict,
) -> Result<(Progress, Outcome), Refusal> {
    let requester = EntityId::new();
    let separation = StepSeparation::Distinct;
    decide(
        steps,
        separation,
        progress,
        &requester,
        who,
        Role::Approver,
        verdict,
    )
}

#[test]
fn two_steps_with_a_quorum_of_two_then_one() {
    let boss = EntityId::new();
    let steps = vec![role_step(Role::Approver, 2), users_step("boss", vec![boss])];
    let requester = EntityId::new();
    let (a, b) = (EntityId::new(), EntityId::new());
    let approve = |p: &Progress, who: &EntityId, role| {
        decide(
            &steps,
            StepSeparation::Distinct,
            p,
            &requester,
            who,
            role,
            Verdict::Approved,
        )
    };
    let (p, outcome) = approve(&pending(), &a, Role::Approver).unwrap();
    assert_eq!(outcome, Outcome::Recorded);
    assert_eq!(
        approve(&p, &a, Role::Approver),
        Err(Refusal::AlreadyDecided)
    );
    assert_eq!(approve(&p, &boss, Role::User), Err(Refusal::NotAnApprover));
    let (p, outcome) = approve(&p, &b, Role::Approver).unwrap();
    assert_eq!(outcome, Outcome::StepCompleted);
    assert_eq!((p.current_step, p.step_approvals.len()), (1, 0));
    assert_eq!(p.earlier_approvers, [a, b]);
    assert_eq!(approve(&p, &a, Role::Approver), Err(Refusal::NotAnApprover));
    let (p, outcome) = approve(&p, &boss, Role::User).unwrap();
    assert_eq!(outcome, Outcome::Approved);
    assert_eq!(p.status, ApprovalStatus::Approved);
    assert_eq!(
        approve(&p, &boss, Role::User),
        Err(Refusal::NotPending(ApprovalStatus::Approved))
    );
}

#[test]
fn one_rejection_ends_the_request() {
    let steps = vec![role_step(Role::Approver, 3)];
    let (p, outcome) =
        approver_decides(&steps, &pending(), &EntityId::new(), Verdict::Rejected).unwrap();
    assert_eq!(outcome, Outcome::Rejected);
    assert_eq!(p.status, ApprovalStatus::Rejected);
}

#[test]
fn requesters_never_decide_their_own_request() {
    let steps = vec![role_step(Role::Approver, 1)];
    let me = EntityId::new();
    assert_eq!(
        decide(
            &steps,
            StepSeparation::Distinct,
            &pending(),
            &me,
            &me,
            Role::Approver,
            Verdict::Approved
        ),
        Err(Refusal::OwnRequest)
    );
}

/// Two steps that both name the `approver` role; `a` completed the
/// first.
fn second_of_two_role_steps(a: EntityId) -> (Vec<Step>, Progress) {
    let steps = vec![role_step(Role::Approver, 1), role_step(Role::Approver, 1)];
    let (progress, outcome) = approver_decides(&steps, &pending(), &a, Verdict::Approved).unwrap();
    assert_eq!(outcome, Outcome::StepCompleted);
    (steps, progress)
}

#[test]
fn whoever_approved_an_earlier_step_cannot_decide_a_later_one() {
    let a = EntityId::new();
    let (steps, progress) = second_of_two_role_steps(a);
    for verdict in [Verdict::Approved, Verdict::Rejected] {
        assert_eq!(
            approver_decides(&steps, &progress, &a, verdict),
            Err(Refusal::DecidedEarlierStep),
            "{verdict}"
        );
    }
    let (done, outcome) =
        approver_decides(&steps, &progress, &EntityId::new(), Verdict::Approved).unwrap();
    assert_eq!(outcome, Outcome::Approved);
    assert_eq!(done.status, ApprovalStatus::Approved);
}

#[test]
fn a_workflow_that_waives_separation_lets_one_approver_decide_every_step() {
    let a = EntityId::new();
    let (steps, progress) = second_of_two_role_steps(a);
    let (done, outcome) = decide(
        &steps,
        StepSeparation::Waived,
        &progress,
        &EntityId::new(),
        &a,
        Role::Approver,
        Verdict::Approved,
    )
    .unwrap();
    assert_eq!(outcome, Outcome::Approved);
    assert_eq!(done.status, ApprovalStatus::Approved);
}

#[test]
fn an_earlier_approver_named_by_id_on_a_later_step_is_still_refused() {
    let a = EntityId::new();
    let steps = vec![role_step(Role::Approver, 1), users_step("named", vec![a])];
    let mut progress = pending();
    progress.current_step = 1;
    progress.earlier_approvers = vec![a];
    assert_eq!(
        decide(
            &steps,
            StepSeparation::Distinct,
            &progress,
            &EntityId::new(),
            &a,
            Role::User,
            Verdict::Approved,
        ),
        Err(Refusal::DecidedEarlierStep)
    );
}

#[test]
fn earlier_approvers_are_listed_once_when_one_person_decides_several_steps() {
    let a = EntityId::new();
    let steps = vec![
        role_step(Role::Approver, 1),
        role_step(Role::Approver, 1),
        role_step(Role::Approver, 1),
    ];
    let requester = EntityId::new();
    let mut progress = pending();
    for _ in 0..2 {
        (progress, _) = decide(
            &steps,
            StepSeparation::Waived,
            &progress,
            &requester,
            &a,
            Role::Approver,
            Verdict::Approved,
        )
        .unwrap();
    }
    assert_eq!(progress.current_step, 2);
    assert_eq!(progress.earlier_approvers, [a]);
}

#[test]
fn only_pending_requests_can_be_cancelled() {
    let cancelled = cancel(&pending()).unwrap();
    assert_eq!(cancelled.status, ApprovalStatus::Cancelled);
    assert_eq!(
        cancel(&cancelled),
        Err(Refusal::NotPending(ApprovalStatus::Cancelled))
    );
}

#[test]
fn payloads_are_bounded_objects() {
    assert!(Payload::parse(serde_json::json!({"a": [1, {"b": 2}]})).is_ok());
    assert!(Payload::parse(serde_json::json!([1])).is_err());
    let big = "x".repeat(Payload::MAX_BYTES);
    assert!(Payload::parse(serde_json::json!({ "big": big })).is_err());
    let mut deep = serde_json::json!(1);
    for _ in 0..20 {
        deep = serde_json::json!({ "d": deep });
    }
    assert!(Payload::parse(deep).is_err());
}

#[test]
fn payloads_are_stored_as_their_json_text() {
    let payload = Payload::parse(serde_json::json!({"a": {}, "n": 1.50})).unwrap();
    let stored = serde_json::to_value(&payload).unwrap();
    assert!(stored.is_string());
    let back: Payload = serde_json::from_value(stored).unwrap();
    assert_eq!(back, payload);
}

#[test]
fn amounts_are_non_negative_with_cents() {
    assert!(Amount::parse(1234.5).is_ok());
    assert!(Amount::parse(0.0).is_ok());
    for bad in [-1.0, 0.001, f64::NAN, 2e12] {
        assert!(Amount::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_rule_approves_a_pending_request_whatever_its_step() {
    let settled = settle(&pending(), Verdict::Approved).unwrap();
    assert_eq!(settled.status, ApprovalStatus::Approved);
    assert_eq!(settled.current_step, pending().current_step);
}

#[test]
fn a_rule_rejects_a_pending_request() {
    let settled = settle(&pending(), Verdict::Rejected).unwrap();
    assert_eq!(settled.status, ApprovalStatus::Rejected);
}

#[test]
fn a_rule_leaves_a_final_request_as_it_is() {
    for status in [
        ApprovalStatus::Approved,
        ApprovalStatus::Rejected,
        ApprovalStatus::Cancelled,
    ] {
        let done = Progress {
            status,
            ..pending()
        };
        assert_eq!(
            settle(&done, Verdict::Approved),
            Err(Refusal::NotPending(status))
        );
    }
}
