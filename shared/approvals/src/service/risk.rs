//! Recording an approval's risk (the insights analyzer's only write on
//! approvals). The risk is derived: recording it changes no state and not
//! the version, and a risk scored after an older change never replaces
//! one scored after a newer change. Each record commits with its
//! `approval.risk_scored` event under an id derived from the change it
//! was scored after, so a redelivery records nothing twice; a risk that
//! says what the approval already carries records nothing at all.

use super::approvals::lost_race;
use super::ApprovalsError;
use crate::domain::{ApprovalRisk, EntityId};
use crate::events;
use crate::store::approvals::transition;
use crate::store::{ApprovalStore, Store};

/// How often a record is tried against fresh state.
const MAX_ATTEMPTS: usize = 5;

/// What recording a risk did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskRecorded {
    /// The approval carries it now, and its event is in the outbox.
    Recorded,
    /// The approval already carried the same risk, or one scored after a
    /// later change, or this very record was committed before.
    Unchanged,
}

/// Records `risk` as approval `id`'s, with the event `event_id`.
/// `NotFound` when the approval does not exist (deleted with its
/// workflow's data, or not yet readable).
pub async fn record_risk(
    store: &Store,
    id: &EntityId,
    risk: ApprovalRisk,
    event_id: EntityId,
    correlation_id: &str,
) -> Result<RiskRecorded, ApprovalsError> {
    for _ in 0..MAX_ATTEMPTS {
        let before = store
            .approval_by_id(id)
            .await?
            .ok_or(ApprovalsError::NotFound("approval"))?;
        if let Some(held) = &before.risk {
            if held.same_as(&risk) || held.scored_at > risk.scored_at {
                return Ok(RiskRecorded::Unchanged);
            }
        }
        let mut after = before.clone();
        after.risk = Some(risk.clone());
        let event = events::approval_risk_scored(&before, &after, event_id, correlation_id);
        let (tx, named) = transition(store, &before, &after, None, &event)?;
        match store.commit(tx).await {
            Ok(()) => return Ok(RiskRecorded::Recorded),
            Err(error) if error.failed(named.event) => return Ok(RiskRecorded::Unchanged),
            Err(error) if lost_race(&error, named.approval) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(ApprovalsError::Conflict(
        "the approval kept changing while its risk was being recorded".into(),
    ))
}
