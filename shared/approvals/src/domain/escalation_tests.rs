use super::*;
use crate::domain::approval::{cancel, decide, settle, Outcome, Refusal, Verdict};
use crate::domain::workflow::StepSeparation;

fn step(approvers: Approvers, escalation: Option<Escalation>) -> Step {
    Step {
        name: "Review".into(),
        approvers,
        required_approvals: 1,
        assigned: Vec::new(),
        escalation,
        escalated: None,
    }
}

fn to_admins(after: Option<u32>) -> Option<Escalation> {
    Some(Escalation {
        after: after.map(EscalateAfter),
        to: Approvers::Role(Role::Admin),
    })
}

fn open(status: ApprovalStatus, current_step: usize) -> Progress {
    Progress {
        status,
        current_step,
        step_approvals: Vec::new(),
        earlier_approvers: Vec::new(),
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn reason(text: &str) -> Comment {
    Comment::parse(text).unwrap()
}

#[test]
fn durations_read_short_and_iso_forms_and_write_the_shortest() {
    for (input, seconds, shown) in [
        ("45s", 45, "45s"),
        ("90m", 5400, "90m"),
        ("120m", 7200, "2h"),
        ("4h", 14_400, "4h"),
        ("2d", 172_800, "2d"),
        (" 3H ", 10_800, "3h"),
        ("PT4H", 14_400, "4h"),
        ("P1DT12H", 129_600, "36h"),
        ("pt1m30s", 90, "90s"),
        ("P30D", 2_592_000, "30d"),
    ] {
        let parsed = EscalateAfter::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(parsed.seconds(), seconds, "{input}");
        assert_eq!(parsed.to_string(), shown, "{input}");
        assert_eq!(EscalateAfter::parse(&parsed.to_string()), Ok(parsed));
    }
    for bad in [
        "",
        "4",
        "h",
        "4x",
        "-4h",
        "4.5h",
        "0s",
        "31d",
        "P",
        "PT",
        "P1W",
        "P1M",
        "PT1H1H",
        "PT1S1M",
        "P1H",
        "1d2h",
        "9999999999s",
    ] {
        assert!(EscalateAfter::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_deadline_escalates_a_pending_step_to_its_escalation_approvers() {
    let steps = vec![step(Approvers::Role(Role::Approver), to_admins(Some(60)))];
    let (requester, admin) = (EntityId::new(), EntityId::new());
    let before = open(ApprovalStatus::Pending, 0);
    assert!(!steps[0].names(&admin, Role::Admin));

    let (after, progress) = escalate(
        &steps,
        StepSeparation::Distinct,
        &before,
        &requester,
        Escalator::Deadline,
        Comment::default(),
        now(),
    )
    .unwrap();

    assert_eq!(progress.status, ApprovalStatus::Escalated);
    let escalated = after[0].escalated.as_ref().expect("marked escalated");
    assert_eq!((escalated.at, escalated.by), (now(), None));
    assert!(after[0].names(&admin, Role::Admin));
    assert!(after[0].names(&EntityId::new(), Role::Approver));
    assert_eq!(
        after[0].roles().collect::<Vec<_>>(),
        [Role::Approver, Role::Admin]
    );
}

#[test]
fn an_approver_of_the_step_escalates_it_by_hand_with_a_reason() {
    let (lead, boss, requester) = (EntityId::new(), EntityId::new(), EntityId::new());
    let escalation = Escalation {
        after: None,
        to: Approvers::Users(vec![boss]),
    };
    let steps = vec![step(Approvers::Users(vec![lead]), Some(escalation))];
    let by = Escalator::Approver(lead, Role::User);

    let (after, progress) = escalate(
        &steps,
        StepSeparation::Distinct,
        &open(ApprovalStatus::Pending, 0),
        &requester,
        by,
        reason("over my limit"),
        now(),
    )
    .unwrap();

    assert_eq!(progress.status, ApprovalStatus::Escalated);
    let escalated = after[0].escalated.as_ref().unwrap();
    assert_eq!(escalated.by, Some(lead));
    assert_eq!(escalated.reason.as_str(), "over my limit");
    assert_eq!(after[0].named_users().collect::<Vec<_>>(), [&lead, &boss]);
}

#[test]
fn who_may_not_escalate_and_when() {
    let requester = EntityId::new();
    let steps = vec![step(Approvers::Role(Role::Approver), to_admins(None))];
    let attempt = |steps: &[Step], progress: &Progress, by: Escalator| {
        escalate(
            steps,
            StepSeparation::Distinct,
            progress,
            &requester,
            by,
            Comment::default(),
            now(),
        )
        .map(|_| ())
    };
    let pending = open(ApprovalStatus::Pending, 0);

    assert_eq!(
        attempt(
            &steps,
            &pending,
            Escalator::Approver(requester, Role::Approver)
        ),
        Err(EscalateRefusal::OwnRequest)
    );
    assert_eq!(
        attempt(
            &steps,
            &pending,
            Escalator::Approver(EntityId::new(), Role::User)
        ),
        Err(EscalateRefusal::NotAnApprover)
    );
    let plain = vec![step(Approvers::Role(Role::Approver), None)];
    assert_eq!(
        attempt(&plain, &pending, Escalator::Deadline),
        Err(EscalateRefusal::NoTarget)
    );
    for status in [
        ApprovalStatus::Approved,
        ApprovalStatus::Rejected,
        ApprovalStatus::Cancelled,
    ] {
        assert_eq!(
            attempt(&steps, &open(status, 0), Escalator::Deadline),
            Err(EscalateRefusal::NotOpen(status))
        );
    }
    let (escalated, progress) = escalate(
        &steps,
        StepSeparation::Distinct,
        &pending,
        &requester,
        Escalator::Deadline,
        Comment::default(),
        now(),
    )
    .unwrap();
    assert_eq!(
        attempt(&escalated, &progress, Escalator::Deadline),
        Err(EscalateRefusal::AlreadyEscalated)
    );
    let admin = Escalator::Approver(EntityId::new(), Role::Admin);
    assert_eq!(
        attempt(&escalated, &progress, admin),
        Err(EscalateRefusal::AlreadyEscalated)
    );
}

#[test]
fn an_escalated_approval_is_decided_cancelled_and_settled_as_a_pending_one() {
    let requester = EntityId::new();
    let admin = EntityId::new();
    let steps = vec![
        step(Approvers::Role(Role::Approver), to_admins(Some(60))),
        step(Approvers::Role(Role::Approver), to_admins(Some(60))),
    ];
    let (steps, escalated) = escalate(
        &steps,
        StepSeparation::Distinct,
        &open(ApprovalStatus::Pending, 0),
        &requester,
        Escalator::Deadline,
        Comment::default(),
        now(),
    )
    .unwrap();
    let decide_as = |who: &EntityId, role: Role, verdict: Verdict| {
        decide(
            &steps,
            StepSeparation::Distinct,
            &escalated,
            &requester,
            who,
            role,
            verdict,
        )
    };

    // ESCALATED → PENDING: the escalated step completes, the next opens.
    let (next, outcome) = decide_as(&admin, Role::Admin, Verdict::Approved).unwrap();
    assert_eq!(outcome, Outcome::StepCompleted);
    assert_eq!(
        (next.status, next.current_step),
        (ApprovalStatus::Pending, 1)
    );
    // The next step is not escalated: an admin no longer decides it.
    assert_eq!(
        decide(
            &steps,
            StepSeparation::Distinct,
            &next,
            &requester,
            &EntityId::new(),
            Role::Admin,
            Verdict::Approved
        ),
        Err(Refusal::NotAnApprover)
    );
    // ESCALATED → REJECTED, by the step's own approvers too.
    let (rejected, _) = decide_as(&EntityId::new(), Role::Approver, Verdict::Rejected).unwrap();
    assert_eq!(rejected.status, ApprovalStatus::Rejected);
    // ESCALATED → CANCELLED; → APPROVED or REJECTED by a rule.
    assert_eq!(
        cancel(&escalated).unwrap().status,
        ApprovalStatus::Cancelled
    );
    assert_eq!(
        settle(&escalated, Verdict::Approved).unwrap().status,
        ApprovalStatus::Approved
    );
    // Someone the escalation does not name is still refused.
    assert_eq!(
        decide_as(&EntityId::new(), Role::User, Verdict::Approved),
        Err(Refusal::NotAnApprover)
    );
}

#[test]
fn an_escalated_last_step_approves_the_request() {
    let requester = EntityId::new();
    let steps = vec![step(Approvers::Role(Role::Approver), to_admins(None))];
    let (steps, escalated) = escalate(
        &steps,
        StepSeparation::Distinct,
        &open(ApprovalStatus::Pending, 0),
        &requester,
        Escalator::Approver(EntityId::new(), Role::Approver),
        reason("needs finance"),
        now(),
    )
    .unwrap();
    let (after, outcome) = decide(
        &steps,
        StepSeparation::Distinct,
        &escalated,
        &requester,
        &EntityId::new(),
        Role::Admin,
        Verdict::Approved,
    )
    .unwrap();
    assert_eq!(outcome, Outcome::Approved);
    assert_eq!(after.status, ApprovalStatus::Approved);
}

#[test]
fn an_approver_barred_by_step_separation_does_not_escalate() {
    let requester = EntityId::new();
    let earlier = EntityId::new();
    let steps = vec![
        step(Approvers::Role(Role::Approver), None),
        step(Approvers::Role(Role::Approver), to_admins(None)),
    ];
    let mut second = open(ApprovalStatus::Pending, 1);
    second.earlier_approvers = vec![earlier];
    let by = Escalator::Approver(earlier, Role::Approver);
    let attempt = |separation| {
        escalate(
            &steps,
            separation,
            &second,
            &requester,
            by,
            Comment::default(),
            now(),
        )
        .map(|(_, progress)| progress.status)
    };
    assert_eq!(
        attempt(StepSeparation::Distinct),
        Err(EscalateRefusal::NotAnApprover)
    );
    assert_eq!(
        attempt(StepSeparation::Waived),
        Ok(ApprovalStatus::Escalated)
    );
}
