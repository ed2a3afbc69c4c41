//! Bringing an approval's risk and insight in line with its scoring. An
//! approval whose risk is MEDIUM or above has one insight (its id derived
//! from the approval's), kept in step with its score while the approval
//! is open, resolved by itself when the approval ends or its risk falls
//! back to LOW. Everything here is read from the scoring as it stands, so
//! a late or repeated call converges on the same result; each write is
//! conditional (the risk on its time, the insight on its version) and
//! carries its event under an id derived from the approval and the
//! scoring's version, so no change is written twice.

use super::InsightsError;
use crate::domain::insight::InsightStatus;
use crate::domain::{Risk, RiskLevel};
use crate::events::{self, Actor};
use crate::store::{InsightRecord, InsightStore, Scoring, StatisticsStore, Store};
use opsflow_approvals::domain::{ApprovalRisk, RiskFactor};
use opsflow_approvals::service::risk::{record_risk, Cause};
use opsflow_platform::domain::EntityId;
use opsflow_platform::store::{entity_item, StoreError};
use time::OffsetDateTime;

/// How often a change is tried against a fresh insight.
const MAX_ATTEMPTS: usize = 5;

/// The lowest level that raises an insight on a request.
pub const RAISED_FROM: RiskLevel = RiskLevel::Medium;

/// The factors an approval shows where it is decided.
pub const SHOWN_FACTORS: usize = 3;

/// `at` as a derived id's time (0 before the epoch).
fn millis(at: OffsetDateTime) -> u64 {
    u64::try_from(opsflow_platform::clock::epoch_millis(at)).unwrap_or(0)
}

/// The id of the insight about approval `approval_id`.
pub fn approval_insight_id(approval_id: &EntityId, filed_at: OffsetDateTime) -> EntityId {
    let approval = approval_id.to_string();
    EntityId::derived(millis(filed_at), &[b"insight", approval.as_bytes()])
}

/// The id of the event that brings `what` (`risk`, `insight`) in line
/// with `scoring`: one per approval, scoring version and kind.
fn derived_event(scoring: &Scoring, what: &str) -> EntityId {
    let approval = scoring.approval_id.to_string();
    let version = scoring.version.to_string();
    EntityId::derived(
        millis(scoring.scored_at),
        &[
            b"insights",
            approval.as_bytes(),
            version.as_bytes(),
            what.as_bytes(),
        ],
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

/// Brings approval `approval_id`'s risk and insight in line with its
/// scoring. Safe to call again, and in any order with other calls.
pub async fn sync(store: &Store, approval_id: &EntityId) -> Result<(), InsightsError> {
    let Some(scoring) = store.scoring(approval_id).await? else {
        return Ok(());
    };
    let cause = Cause {
        event_id: derived_event(&scoring, "risk"),
        correlation_id: &scoring.correlation_id,
        depth: scoring.depth + 1,
    };
    let risk = approval_risk(&scoring.risk, scoring.scored_at);
    match record_risk(store, approval_id, risk, cause).await {
        // Its workflow's requests were deleted meanwhile: nothing to show
        // it on.
        Ok(_) | Err(opsflow_approvals::service::ApprovalsError::NotFound(_)) => {}
        Err(error) => return Err(error.into()),
    }
    approval_insight(store, &scoring).await
}

/// The insight `scoring` asks for, from the one stored (`None`: leave it).
fn wanted(scoring: &Scoring, stored: Option<&InsightRecord>) -> Option<InsightRecord> {
    let risk = &scoring.risk;
    let raised = risk.level >= RAISED_FROM && !scoring.closed;
    let at = scoring.scored_at;
    match stored {
        None if raised => Some(InsightRecord {
            id: approval_insight_id(&scoring.approval_id, scoring.filed_at),
            source: "approval_risk".into(),
            title: format!("{} risk: {}", capitalised(risk.level), scoring.title),
            description: description(risk),
            recommendation: recommendation(risk.level).into(),
            risk_level: risk.level,
            risk_score: risk.score,
            factors: risk.factors.clone(),
            workflow_id: Some(scoring.workflow_id.clone()),
            entity: Some("approval".into()),
            entity_id: Some(scoring.approval_id.to_string()),
            status: InsightStatus::Open,
            note: String::new(),
            created_at: at,
            updated_at: at,
            resolved_at: None,
            version: 1,
        }),
        None => None,
        Some(stored) if stored.status.is_resolved() => None,
        Some(stored) if !raised => {
            let mut next = stored.clone();
            next.status = InsightStatus::Resolved;
            next.resolved_at = Some(at);
            next.note = if scoring.closed {
                format!("The request ended: {}.", scoring.status)
            } else {
                format!("Its risk fell to {}.", risk.level.as_str())
            };
            Some(next)
        }
        Some(stored) if stored.risk_score != risk.score || stored.factors != risk.factors => {
            let mut next = stored.clone();
            next.risk_score = risk.score;
            next.risk_level = risk.level;
            next.factors = risk.factors.clone();
            next.description = description(risk);
            next.recommendation = recommendation(risk.level).into();
            Some(next)
        }
        Some(_) => None,
    }
}

async fn approval_insight(store: &Store, scoring: &Scoring) -> Result<(), InsightsError> {
    let id = approval_insight_id(&scoring.approval_id, scoring.filed_at);
    let event_id = derived_event(scoring, "insight");
    for _ in 0..MAX_ATTEMPTS {
        let stored = store.insight_by_id(&id).await?;
        let Some(mut next) = wanted(scoring, stored.as_ref()) else {
            return Ok(());
        };
        let written = match &stored {
            None => {
                let mut event = events::insight_created(
                    &next,
                    Actor::system(),
                    &scoring.correlation_id,
                    Some(event_id),
                );
                event.depth = scoring.depth + 1;
                store.insert_with_event(entity_item(&next)?, &event).await
            }
            Some(before) => {
                next.version = before.version + 1;
                next.updated_at = scoring.scored_at.max(before.updated_at);
                let mut event = events::insight_changed(
                    before,
                    &next,
                    Actor::system(),
                    &scoring.correlation_id,
                    Some(event_id),
                );
                event.depth = scoring.depth + 1;
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
