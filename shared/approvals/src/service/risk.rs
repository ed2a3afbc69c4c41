//! Recording an approval's risk (the insights analyzer's only write on
//! approvals). The risk lives in an item of its own beside the approval,
//! so it never races the approval's transitions; it changes no state and
//! not the version. A risk scored after an older change never replaces
//! one scored after a newer change (a condition on `scored_ms`). Each
//! record commits with its `approval.risk_scored` event under an id the
//! caller derives, so a repeat records nothing twice; a risk that says
//! what the approval already shows records nothing at all.

use super::ApprovalsError;
use crate::domain::{ApprovalRisk, EntityId};
use crate::events;
use crate::store::approvals::{risk_recording, RiskRecord};
use crate::store::{ApprovalStore, Store};

/// What recording a risk did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskRecorded {
    /// The approval shows it now, and its event is in the outbox.
    Recorded,
    /// The approval already showed the same risk, or one scored after a
    /// later change, or this very record was committed before.
    Unchanged,
}

/// How `approval.risk_scored` is caused: the chain it belongs to.
#[derive(Debug, Clone)]
pub struct Cause<'a> {
    /// Its event's id (derived by the caller).
    pub event_id: EntityId,
    pub correlation_id: &'a str,
    /// One more than the event that led to the scoring.
    pub depth: u32,
}

/// Records `risk` as approval `id`'s. `NotFound` when the approval does
/// not exist.
pub async fn record_risk(
    store: &Store,
    id: &EntityId,
    risk: ApprovalRisk,
    cause: Cause<'_>,
) -> Result<RiskRecorded, ApprovalsError> {
    let (before, _) = store
        .approval_with_decisions(id)
        .await?
        .ok_or(ApprovalsError::NotFound("approval"))?;
    if let Some(held) = &before.risk {
        if held.same_as(&risk) || held.scored_at >= risk.scored_at {
            return Ok(RiskRecorded::Unchanged);
        }
    }
    let mut after = before.clone();
    after.risk = Some(risk.clone());
    let mut event =
        events::approval_risk_scored(&before, &after, cause.event_id, cause.correlation_id);
    event.depth = cause.depth;
    let scored_ms = opsflow_platform::clock::epoch_millis(risk.scored_at);
    let record = RiskRecord {
        approval_id: *id,
        risk,
        scored_ms,
    };
    match store.commit(risk_recording(store, &record, &event)?).await {
        Ok(()) => Ok(RiskRecorded::Recorded),
        // A newer risk is there, or this event was committed before.
        Err(crate::store::StoreError::TransactionCancelled(reasons))
            if reasons.iter().any(|r| r == "ConditionalCheckFailed") =>
        {
            Ok(RiskRecorded::Unchanged)
        }
        Err(error) => Err(error.into()),
    }
}
