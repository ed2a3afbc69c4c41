//! Approvals' use cases: file a request, decide its current step, withdraw
//! it, and read one as a caller may see it. The rules of deciding are the
//! domain's ([`crate::domain::approval`]); here they meet storage: a
//! decision that meets a concurrent one is read again and retried while
//! the client pinned no version, and a repeated decision is refused by the
//! transaction's decision item.

use super::{ApprovalsError, ExpectedVersion};
use crate::auth::Principal;
use crate::clock;
use crate::domain::approval::{self, Refusal};
use crate::domain::escalation::{self, EscalateRefusal, Escalator};
use crate::domain::{
    Amount, ApprovalStatus, Comment, Description, EntityId, Payload, Title, Verdict, WorkflowStatus,
};
use crate::events::{self, Actor};
use crate::permissions;
use crate::store::approvals::{
    transition, ApprovalFilter, ApprovalRecord, ApprovalSource, ApprovalStore, DecisionRecord,
    NewApproval,
};
use crate::store::transaction::Item;
use crate::store::workflows::WorkflowStore;
use crate::store::{Store, StoreError};

/// How often a decision is tried against fresh state when others decide
/// the same approval at the same moment.
const MAX_ATTEMPTS: usize = 5;

/// A request to file.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub workflow_id: EntityId,
    pub title: Title,
    pub description: Description,
    pub payload: Payload,
    pub amount: Option<Amount>,
}

/// What a change of an approval's status asks for.
#[derive(Debug, Clone)]
pub enum Wanted {
    /// A decision on the current step, with its comment.
    Decide(Verdict, Comment),
    /// The requester's withdrawal.
    Cancel,
    /// An approver's escalation of the current step, with its reason.
    Escalate(Comment),
}

/// An approval and its decisions, in the order they were made.
pub type ApprovalWithDecisions = (ApprovalRecord, Vec<DecisionRecord>);

fn escalate_refusal(refusal: EscalateRefusal) -> ApprovalsError {
    match refusal {
        EscalateRefusal::OwnRequest | EscalateRefusal::NotAnApprover => {
            ApprovalsError::Forbidden(refusal.to_string())
        }
        EscalateRefusal::NotOpen(_)
        | EscalateRefusal::AlreadyEscalated
        | EscalateRefusal::NoTarget => ApprovalsError::Conflict(refusal.to_string()),
    }
}

fn refusal(refusal: Refusal) -> ApprovalsError {
    match refusal {
        Refusal::OwnRequest | Refusal::NotAnApprover | Refusal::DecidedEarlierStep => {
            ApprovalsError::Forbidden(refusal.to_string())
        }
        Refusal::NotPending(_) | Refusal::AlreadyDecided => {
            ApprovalsError::Conflict(refusal.to_string())
        }
    }
}

/// Whether a failed transaction lost a race on the approval's version.
pub(crate) fn lost_race(error: &StoreError, approval: Item) -> bool {
    match error {
        StoreError::TransactionCancelled(reasons) => {
            error.failed(approval) || reasons.iter().any(|r| r == "TransactionConflict")
        }
        _ => false,
    }
}

/// Whether `principal` may see an approval: admins, its requester, the
/// approvers its steps name, and whoever decided it.
pub fn may_see(
    principal: &Principal,
    record: &ApprovalRecord,
    decisions: &[DecisionRecord],
) -> bool {
    principal.can(permissions::APPROVALS_READ_ALL)
        || principal.is(&record.requester_id)
        || record.names_approver(&principal.user_id, principal.role)
        || decisions.iter().any(|d| principal.is(&d.approver_id))
}

/// Whether `principal` may see the approval `id` (as the audit log names
/// it). An id that is not an approval's is not visible.
pub async fn visible_to(
    store: &Store,
    principal: &Principal,
    id: &str,
) -> Result<bool, StoreError> {
    let Ok(id) = EntityId::parse(id) else {
        return Ok(false);
    };
    Ok(match store.approval_with_decisions(&id).await? {
        Some((record, decisions)) => may_see(principal, &record, &decisions),
        None => false,
    })
}

/// A page of every approval (of `status`, if given), newest first, as an
/// admin's report reads them: their views (as events carry them), from
/// just past the sort key `after`, and the key that resumes the listing.
pub async fn page_of_all(
    store: &Store,
    status: Option<ApprovalStatus>,
    limit: usize,
    after: Option<&str>,
) -> Result<(Vec<serde_json::Value>, Option<String>), StoreError> {
    let source = match status {
        Some(status) => ApprovalSource::Status(status),
        None => ApprovalSource::All,
    };
    let (records, next) = store
        .list_approvals(&source, &ApprovalFilter::default(), limit, after)
        .await?;
    Ok((
        records.iter().map(crate::view::approval_value).collect(),
        next,
    ))
}

/// The sort key of approvals listings that sits just above every approval
/// created before `at` (listings are newest first by `APPROVAL#<id>`).
pub fn listing_key_before(at: EntityId) -> String {
    crate::store::keys::approval_pk(&at)
}

/// Approval `id` and its decisions, if `principal` may see it.
pub async fn approval_for(
    store: &Store,
    principal: &Principal,
    id: &EntityId,
) -> Result<ApprovalWithDecisions, ApprovalsError> {
    let (record, decisions) = store
        .approval_with_decisions(id)
        .await?
        .ok_or(ApprovalsError::NotFound("approval"))?;
    if !may_see(principal, &record, &decisions) {
        return Err(ApprovalsError::NotFound("approval"));
    }
    Ok((record, decisions))
}

/// A new approval of `request` by `requester_id`, with the steps of its
/// workflow, which must be active.
async fn new_record(
    store: &Store,
    request: NewRequest,
    requester_id: EntityId,
) -> Result<ApprovalRecord, ApprovalsError> {
    let workflow = store
        .workflow_by_id(&request.workflow_id)
        .await?
        .filter(|w| w.status == WorkflowStatus::Active)
        .ok_or_else(|| ApprovalsError::Invalid {
            field: "workflow_id",
            message: "must name an active workflow".into(),
        })?;
    Ok(ApprovalRecord::new(
        NewApproval {
            workflow_id: request.workflow_id,
            workflow_name: workflow.name,
            workflow_type: workflow.workflow_type,
            steps: workflow.steps,
            title: request.title,
            description: request.description,
            payload: request.payload,
            amount: request.amount,
            requester_id,
            allow_same_approver_across_steps: workflow.allow_same_approver_across_steps,
        },
        clock::now(),
    ))
}

/// Files `request` for `principal` against an active workflow.
#[tracing::instrument(skip_all, fields(user = %principal.user_id))]
pub async fn file(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    request: NewRequest,
) -> Result<ApprovalRecord, ApprovalsError> {
    let record = new_record(store, request, principal.user_id).await?;
    let event = events::approval_created(&record, Actor::from(principal), correlation_id);
    let (tx, filing) = store.filing(&record, &event)?;
    match store.commit(tx).await {
        Err(error) if error.failed(filing.workflow_active) => Err(ApprovalsError::Conflict(
            "the workflow stopped being active; file against an active one".into(),
        )),
        Err(error) => Err(error.into()),
        Ok(()) => Ok(record),
    }
}

/// Whether an approval with id `id` was ever filed (and not deleted).
pub async fn filed(store: &Store, id: &EntityId) -> Result<bool, StoreError> {
    Ok(store.approval_by_id(id).await?.is_some())
}

/// What filing a request for a rule did.
#[derive(Debug)]
pub enum RuleFiling {
    /// Filed now.
    Filed(Box<ApprovalRecord>),
    /// An approval with this id was filed before (a repeated delivery).
    Before,
}

/// Files `request` for `requester` because a rule matched `cause`: the
/// approval's id and its `approval.created` event's id are `id` (the
/// action's derived id), so a repeated delivery finds it filed; the event
/// is the system's, one level deeper than `cause`.
pub async fn file_by_rule(
    store: &Store,
    requester_id: EntityId,
    id: EntityId,
    cause: &crate::events::Envelope,
    request: NewRequest,
) -> Result<RuleFiling, ApprovalsError> {
    if filed(store, &id).await? {
        return Ok(RuleFiling::Before);
    }
    let mut record = new_record(store, request, requester_id).await?;
    record.id = id;
    let mut event = events::approval_created(&record, Actor::system(), &cause.correlation_id);
    event.id = id;
    event.depth = cause.depth + 1;
    let (tx, filing) = store.filing(&record, &event)?;
    match store.commit(tx).await {
        Err(error) if error.failed(filing.approval) => Ok(RuleFiling::Before),
        Err(error) if error.failed(filing.workflow_active) => Err(ApprovalsError::Invalid {
            field: "workflow_id",
            message: "must name an active workflow".into(),
        }),
        Err(error) => Err(error.into()),
        Ok(()) => Ok(RuleFiling::Filed(Box::new(record))),
    }
}

/// Decides the current step of approval `id` (`Wanted::Decide`) or
/// withdraws it (`Wanted::Cancel`, its requester only), as `principal`;
/// returns the approval after the change, with its decisions.
#[tracing::instrument(skip_all, fields(user = %principal.user_id, approval = %id))]
pub async fn change_status(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    id: &EntityId,
    wanted: Wanted,
    expected: ExpectedVersion,
) -> Result<ApprovalWithDecisions, ApprovalsError> {
    for _ in 0..MAX_ATTEMPTS {
        let (record, mut decisions) = approval_for(store, principal, id).await?;
        expected.check(record.version, "approval")?;
        let now = clock::now();
        let actor = Actor::from(principal);
        let (after, decision, event) = match &wanted {
            Wanted::Cancel => {
                if !principal.is(&record.requester_id) {
                    return Err(ApprovalsError::Forbidden(
                        "only the requester can cancel a request".into(),
                    ));
                }
                let progress = approval::cancel(&record.progress()).map_err(refusal)?;
                let after = record.advanced(progress, now);
                let event =
                    events::approval_transition(&record, &after, None, None, actor, correlation_id);
                (after, None, event)
            }
            Wanted::Escalate(reason) => {
                let by = Escalator::Approver(principal.user_id, principal.role);
                let (steps, progress) = escalation::escalate(
                    &record.steps,
                    record.separation(),
                    &record.progress(),
                    &record.requester_id,
                    by,
                    reason.clone(),
                    now,
                )
                .map_err(escalate_refusal)?;
                let after = record.escalated(steps, progress, now);
                let event = events::approval_escalated(&record, &after, actor, correlation_id);
                (after, None, event)
            }
            Wanted::Decide(verdict, comment) => {
                let (progress, outcome) = approval::decide(
                    &record.steps,
                    record.separation(),
                    &record.progress(),
                    &record.requester_id,
                    &principal.user_id,
                    principal.role,
                    *verdict,
                )
                .map_err(refusal)?;
                let decision = DecisionRecord::new(
                    &record,
                    principal.user_id,
                    principal.role,
                    *verdict,
                    comment.clone(),
                    now,
                );
                let after = record.advanced(progress, now);
                let event = events::approval_transition(
                    &record,
                    &after,
                    Some(&decision),
                    Some(outcome),
                    actor,
                    correlation_id,
                );
                (after, Some(decision), event)
            }
        };
        let (tx, named) = transition(store, &record, &after, decision.as_ref(), &event)?;
        match store.commit(tx).await {
            Ok(()) => {
                decisions.extend(decision);
                return Ok((after, decisions));
            }
            Err(error) if named.decision.is_some_and(|item| error.failed(item)) => {
                return Err(refusal(Refusal::AlreadyDecided))
            }
            Err(error) if lost_race(&error, named.approval) && !expected.pinned() => continue,
            Err(error) if lost_race(&error, named.approval) => {
                return Err(ApprovalsError::Conflict(
                    "the approval was changed concurrently; reload and retry".into(),
                ))
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(ApprovalsError::Conflict(
        "the approval is being decided by others right now; reload and retry".into(),
    ))
}
