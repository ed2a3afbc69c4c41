//! The escalation sweep: every minute, the steps whose deadline has
//! passed are escalated, each exactly once. Deadlines are read by due time
//! from their own key (never a scan); each is escalated by the approvals'
//! own transaction, conditional on the version read, under an event id
//! derived from the approval, its step and its deadline. So two sweeps
//! that overlap, or a sweep retried after a timeout, escalate a step once:
//! the loser of the race re-reads the approval and finds it escalated.
//! A deadline whose approval moved on (decided, withdrawn, on another
//! step) is stale: the sweep removes it and does nothing else.

use super::approvals::lost_race;
use super::ApprovalsError;
use crate::domain::escalation::{self, Escalator};
use crate::domain::{Comment, EntityId};
use crate::events::{self, Actor};
use crate::store::approvals::{transition, EscalationDue};
use crate::store::{ApprovalStore, EscalationStore, Store, StoreError};
use futures::StreamExt;
use opsflow_platform::clock::epoch_millis;
use opsflow_platform::registry::SweepReport;
use time::OffsetDateTime;

/// The most deadlines one sweep takes on; the rest wait for the next one
/// (a minute later), oldest first.
pub const SWEEP_LIMIT: usize = 200;

/// How many deadlines a sweep escalates at once.
const CONCURRENCY: usize = 8;

/// How often one deadline is tried against fresh state.
const MAX_ATTEMPTS: usize = 5;

/// What became of one deadline.
enum Swept {
    Escalated,
    Stale,
}

/// Escalates every step due at `now`, up to [`SWEEP_LIMIT`]: `done` counts
/// the steps this sweep escalated; `skipped` the deadlines that needed
/// nothing (escalated already, by an overlapping sweep or by hand, or
/// their approval moved on); `failed` those the next sweep tries again.
#[tracing::instrument(skip(store))]
pub async fn sweep(
    store: &Store,
    now: OffsetDateTime,
    correlation_id: &str,
) -> Result<SweepReport, StoreError> {
    let millis = epoch_millis(now);
    let due = store.due_escalations(millis, SWEEP_LIMIT).await?;
    let outcomes: Vec<_> = futures::stream::iter(due)
        .map(|deadline| async move {
            let outcome = escalate_due(store, &deadline, now, correlation_id).await;
            if let Err(error) = &outcome {
                tracing::warn!(approval = %deadline.approval_id, error = %error, "escalation failed");
            }
            outcome
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut report = SweepReport::default();
    for outcome in outcomes {
        match outcome {
            Ok(Swept::Escalated) => report.done += 1,
            Ok(Swept::Stale) => report.skipped += 1,
            Err(_) => report.failed += 1,
        }
    }
    Ok(report)
}

/// The id of the event that escalates `deadline`: the same for every
/// sweep that tries it, so the outbox takes it once.
fn event_id(deadline: &EscalationDue) -> EntityId {
    let millis = u64::try_from(epoch_millis(deadline.due_at)).unwrap_or(0);
    let approval = deadline.approval_id.to_string();
    let step = deadline.step.to_string();
    EntityId::derived(
        millis,
        &[b"escalation", approval.as_bytes(), step.as_bytes()],
    )
}

async fn escalate_due(
    store: &Store,
    deadline: &EscalationDue,
    now: OffsetDateTime,
    correlation_id: &str,
) -> Result<Swept, ApprovalsError> {
    for _ in 0..MAX_ATTEMPTS {
        let record = store.approval_by_id(&deadline.approval_id).await?;
        let Some(record) = record.filter(|r| r.deadline().as_ref() == Some(deadline)) else {
            // The approval's own transactions replace or remove its
            // deadline; one left behind (read consistently) is stale.
            store.forget_deadline(deadline).await?;
            return Ok(Swept::Stale);
        };
        let escalated = escalation::escalate(
            &record.steps,
            record.separation(),
            &record.progress(),
            &record.requester_id,
            Escalator::Deadline,
            Comment::default(),
            now,
        );
        let Ok((steps, progress)) = escalated else {
            store.forget_deadline(deadline).await?;
            return Ok(Swept::Stale);
        };
        let after = record.escalated(steps, progress, now);
        let mut event =
            events::approval_escalated(&record, &after, Actor::system(), correlation_id);
        event.id = event_id(deadline);
        let (tx, named) = transition(store, &record, &after, None, &event)?;
        match store.commit(tx).await {
            Ok(()) => return Ok(Swept::Escalated),
            Err(error) if error.failed(named.event) => return Ok(Swept::Stale),
            Err(error) if lost_race(&error, named.approval) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(ApprovalsError::Conflict(
        "the approval kept changing while it was being escalated".into(),
    ))
}
