//! Raising, changing and resolving insights. An approval whose risk is
//! MEDIUM or above has one insight (its id derived from the approval's),
//! kept in step with its score while the approval is open, resolved by
//! itself when the approval ends or its risk falls back to LOW. Every
//! write is versioned and carries its event under an id derived from the
//! change that caused it, so a redelivery changes nothing twice.

use super::analyze::FollowUp;
use super::InsightsError;
use crate::domain::insight::InsightStatus;
use crate::domain::{Risk, RiskLevel};
use crate::events::{self, Actor};
use crate::store::{InsightRecord, InsightStore, Store};
use opsflow_approvals::domain::{ApprovalRisk, RiskFactor};
use opsflow_approvals::service::risk::record_risk;
use opsflow_platform::domain::EntityId;
use opsflow_platform::store::{entity_item, StoreError};
use time::OffsetDateTime;

/// How often a change is tried against a fresh insight.
const MAX_ATTEMPTS: usize = 5;

/// The lowest level that raises an insight on a request.
pub const RAISED_FROM: RiskLevel = RiskLevel::Medium;

/// The factors an approval shows where it is decided.
pub const SHOWN_FACTORS: usize = 3;

fn millis(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// The id of the insight about approval `approval_id`.
pub fn approval_insight_id(approval_id: &EntityId, filed_at: OffsetDateTime) -> EntityId {
    let approval = approval_id.to_string();
    EntityId::derived(millis(filed_at), &[b"insight", approval.as_bytes()])
}

/// The id of the event a follow-up writes for `what` (`risk`, `insight`):
/// a millisecond after the change it follows, so that it sorts after it
/// (the audit log orders a trail by event id).
fn derived_event(follow_up: &FollowUp, what: &str) -> EntityId {
    let event = follow_up.event_id.to_string();
    EntityId::derived(
        millis(follow_up.scored_at) + 1,
        &[b"insights", event.as_bytes(), what.as_bytes()],
    )
}

/// The approval's `risk` as its view shows it.
pub fn approval_risk(risk: &Risk, scored_at: OffsetDateTime) -> ApprovalRisk {
    ApprovalRisk {
        score: risk.score,
        level: risk.level.as_str().to_owned(),
        factors: risk
            .top_factors(SHOWN_FACTORS)
            .into_iter()
            .map(|f| RiskFactor {
                name: f.name.clone(),
                contribution: f.contribution,
                explanation: f.explanation.clone(),
            })
            .collect(),
        scored_at,
    }
}

/// Does what a scored event leads to: the approval's risk recorded, its
/// insight raised, changed or resolved. Safe to do again.
pub async fn follow_up(store: &Store, follow_up: &FollowUp) -> Result<(), InsightsError> {
    let risk = approval_risk(&follow_up.risk, follow_up.scored_at);
    match record_risk(
        store,
        &follow_up.approval_id,
        risk,
        derived_event(follow_up, "risk"),
        &follow_up.correlation_id,
    )
    .await
    {
        // Its workflow's requests were deleted meanwhile: nothing to show
        // it on.
        Ok(_) | Err(opsflow_approvals::service::ApprovalsError::NotFound(_)) => {}
        Err(error) => return Err(error.into()),
    }
    approval_insight(store, follow_up).await
}

/// The insight an approval's follow-up asks for, from the one stored.
fn wanted(follow_up: &FollowUp, stored: Option<&InsightRecord>) -> Option<InsightRecord> {
    let raised = follow_up.risk.level >= RAISED_FROM && !follow_up.closed;
    let at = follow_up.scored_at;
    match stored {
        None if raised => Some(InsightRecord {
            id: approval_insight_id(&follow_up.approval_id, follow_up.filed_at),
            source: "approval_risk".into(),
            title: format!(
                "{} risk: {}",
                capitalised(follow_up.risk.level),
                follow_up.title
            ),
            description: description(&follow_up.risk),
            recommendation: recommendation(follow_up.risk.level).into(),
            risk_level: follow_up.risk.level,
            risk_score: follow_up.risk.score,
            factors: follow_up.risk.factors.clone(),
            workflow_id: Some(follow_up.workflow_id.clone()),
            entity: Some("approval".into()),
            entity_id: Some(follow_up.approval_id.to_string()),
            status: InsightStatus::Open,
            note: String::new(),
            created_at: at,
            updated_at: at,
            resolved_at: None,
            version: 1,
        }),
        None => None,
        Some(stored) if stored.status.is_resolved() || stored.updated_at > at => None,
        Some(stored) if !raised => {
            let mut next = stored.clone();
            next.status = InsightStatus::Resolved;
            next.resolved_at = Some(at);
            next.note = if follow_up.closed {
                format!("The request ended: {}.", follow_up.status)
            } else {
                format!("Its risk fell to {}.", follow_up.risk.level.as_str())
            };
            Some(next)
        }
        Some(stored) if stored.risk_score != follow_up.risk.score => {
            let mut next = stored.clone();
            next.risk_score = follow_up.risk.score;
            next.risk_level = follow_up.risk.level;
            next.factors = follow_up.risk.factors.clone();
            next.description = description(&follow_up.risk);
            next.recommendation = recommendation(follow_up.risk.level).into();
            Some(next)
        }
        Some(_) => None,
    }
}

async fn approval_insight(store: &Store, follow_up: &FollowUp) -> Result<(), InsightsError> {
    let id = approval_insight_id(&follow_up.approval_id, follow_up.filed_at);
    let event_id = derived_event(follow_up, "insight");
    for _ in 0..MAX_ATTEMPTS {
        let stored = store.insight_by_id(&id).await?;
        let Some(mut next) = wanted(follow_up, stored.as_ref()) else {
            return Ok(());
        };
        let system = Actor::system();
        let written = match &stored {
            None => {
                let event = events::insight_created(
                    &next,
                    system,
                    &follow_up.correlation_id,
                    Some(event_id),
                );
                store.insert_with_event(entity_item(&next)?, &event).await
            }
            Some(before) => {
                next.version = before.version + 1;
                next.updated_at = follow_up.scored_at.max(before.updated_at);
                let event = events::insight_changed(
                    before,
                    &next,
                    system,
                    &follow_up.correlation_id,
                    Some(event_id),
                );
                store
                    .replace_versioned(
                        entity_item(&next)?,
                        before.version,
                        Vec::new(),
                        Some(&event),
                    )
                    .await
            }
        };
        match written {
            Ok(()) => return Ok(()),
            // Another writer moved it, or raised it first: the next read
            // shows what is left to do, if anything.
            Err(StoreError::ConditionFailed) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(InsightsError::Conflict(
        "the insight kept changing while it was updated".into(),
    ))
}

fn capitalised(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::Low => "Low",
        RiskLevel::Medium => "Medium",
        RiskLevel::High => "High",
        RiskLevel::Critical => "Critical",
    }
}

/// The insight's description: its top factors' sentences.
fn description(risk: &Risk) -> String {
    let reasons: Vec<&str> = risk
        .top_factors(SHOWN_FACTORS)
        .into_iter()
        .map(|f| f.explanation.as_str())
        .collect();
    format!(
        "Risk score {:.2} ({}). {}",
        risk.score,
        risk.level.as_str(),
        reasons.join(" ")
    )
}

fn recommendation(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::Low => "No action needed.",
        RiskLevel::Medium => "Check the request's details before approving it.",
        RiskLevel::High => {
            "Verify the request with its requester, and the amount against its documents, before approving it."
        }
        RiskLevel::Critical => {
            "Hold the request: have a second approver verify it with its requester before any decision."
        }
    }
}
