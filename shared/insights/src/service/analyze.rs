//! Scoring approvals from their events. An approval is scored when it is
//! filed — its amount against its workflow's amounts, its requester's
//! history, its payload's fields against those the workflow saw — and
//! scored again when a step is decided or escalated (the step's time
//! against the usual) and when it ends. Each event moves the running
//! statistics once ([`crate::store::statistics`]): the scoring reads them
//! as they stood before the request, so a request is never compared with
//! itself. What the score leads to — the approval's `risk`, its insight —
//! is the event's [`FollowUp`], kept with its mark and done after the
//! statistics commit, idempotently, so a redelivery finishes it.

use super::InsightsError;
use crate::domain::{score, AmountHistory, Context, Risk, StepTime};
use crate::store::statistics::Committed;
use crate::store::{Mark, Scoring, StatDelta, StatisticsStore, Store};
use opsflow_approvals::events as approval_events;
use opsflow_platform::domain::EntityId;
use opsflow_platform::events::Envelope;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// How often an event is tried against fresh statistics when another
/// event of the same approval or workflow commits first.
const MAX_ATTEMPTS: u32 = 24;

/// The most payload fields of one request the statistics remember (a
/// set's values must be non-empty: an empty key is left out).
const MAX_FIELDS: usize = 50;

/// What analysing one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Analyzed {
    /// Its statistics moved and its follow-up was done.
    Scored,
    /// It had been analysed before: its follow-up was done (again).
    Duplicate,
    /// It scores nothing.
    Ignored,
}

/// What a scored event leads to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    pub approval_id: EntityId,
    pub workflow_id: String,
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub filed_at: OffsetDateTime,
    pub risk: Risk,
    /// When the change it was scored after happened.
    #[serde(with = "time::serde::rfc3339")]
    pub scored_at: OffsetDateTime,
    /// The approval's status after the event (`APPROVED`, `PENDING`, …).
    pub status: String,
    pub closed: bool,
    /// The event's id, from which the follow-up's own events derive theirs.
    pub event_id: EntityId,
    pub correlation_id: String,
}

/// The event types that move an approval's scoring.
const SCORED: [&str; 6] = [
    approval_events::APPROVAL_CREATED,
    "approval.step_completed",
    approval_events::APPROVAL_APPROVED,
    approval_events::APPROVAL_REJECTED,
    approval_events::APPROVAL_CANCELLED,
    approval_events::APPROVAL_ESCALATED,
];

/// Whether the analyzer reads `envelope` (a platform event as the router
/// sees it): the approval events that move a scoring.
pub fn reads(envelope: &Value) -> bool {
    envelope["entity"] == approval_events::APPROVAL
        && envelope["type"]
            .as_str()
            .is_some_and(|t| SCORED.contains(&t))
}

/// Analyses one event: its statistics once, its follow-up at least once.
#[tracing::instrument(skip_all, fields(event_id = %envelope.id, event_type = %envelope.event_type))]
pub async fn analyze(store: &Store, envelope: &Envelope) -> Result<Analyzed, InsightsError> {
    if envelope.entity != approval_events::APPROVAL
        || !SCORED.contains(&envelope.event_type.as_str())
    {
        return Ok(Analyzed::Ignored);
    }
    for attempt in 0..MAX_ATTEMPTS {
        if let Some(mark) = store.mark(&envelope.id).await? {
            super::insights::follow_up(store, &mark.follow_up).await?;
            return Ok(Analyzed::Duplicate);
        }
        let Some((scoring, previous, deltas)) = next_scoring(store, envelope).await? else {
            return Ok(Analyzed::Ignored);
        };
        let follow_up = FollowUp {
            approval_id: scoring.approval_id,
            workflow_id: scoring.workflow_id.clone(),
            title: text(&envelope.data, "title"),
            filed_at: scoring.filed_at,
            risk: scoring.risk.clone(),
            scored_at: envelope.occurred_at,
            status: text(&envelope.data, "status"),
            closed: scoring.closed,
            event_id: envelope.id,
            correlation_id: envelope.correlation_id.clone(),
        };
        let mark = Mark { follow_up };
        let now = opsflow_platform::clock::now();
        match store
            .commit_event(&envelope.id, &mark, &deltas, &scoring, previous, now)
            .await?
        {
            Committed::Now => {
                super::insights::follow_up(store, &mark.follow_up).await?;
                return Ok(Analyzed::Scored);
            }
            Committed::Before(mark) => {
                super::insights::follow_up(store, &mark.follow_up).await?;
                return Ok(Analyzed::Duplicate);
            }
            Committed::Raced => {
                opsflow_platform::clock::pause(5 << attempt.min(4), 40).await;
            }
        }
    }
    Err(InsightsError::Conflict(
        "the statistics kept changing while the event was analysed".into(),
    ))
}

fn text(data: &Value, field: &str) -> String {
    data[field].as_str().unwrap_or_default().to_owned()
}

fn field_of(data: &Value, field: &'static str) -> Result<String, InsightsError> {
    data[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| InsightsError::Malformed(format!("data.{field} is missing")))
}

/// The approval's scoring after `envelope`, the version it replaces and
/// the statistics it moves; `None` when the event changes nothing (its
/// approval ended already).
async fn next_scoring(
    store: &Store,
    envelope: &Envelope,
) -> Result<Option<(Scoring, Option<u64>, Vec<StatDelta>)>, InsightsError> {
    let data = &envelope.data;
    let approval_id = EntityId::parse(&envelope.entity_id)
        .map_err(|why| InsightsError::Malformed(format!("entity_id {why}")))?;
    let workflow_id = field_of(data, "workflow_id")?;
    let requester_id = field_of(data, "requester_id")?;
    let at = envelope.occurred_at;
    if envelope.event_type == approval_events::APPROVAL_CREATED {
        return filed(store, envelope, approval_id, workflow_id, requester_id).await;
    }
    let Some(mut scoring) = store.scoring(&approval_id).await? else {
        return Err(InsightsError::NotYetScored(approval_id.to_string()));
    };
    if scoring.closed {
        return Ok(None);
    }
    let previous = scoring.version;
    let workflow = store.workflow_stats(&workflow_id).await?;
    let (usual, samples) = workflow.usual_step(scoring.step);
    let seconds = (at - scoring.step_started_at).as_seconds_f64().max(0.0);
    let step_time = StepTime {
        seconds,
        usual_seconds: usual,
        samples,
    };
    let mut deltas = Vec::new();
    let status = text(data, "status");
    let step_ended = envelope.event_type != approval_events::APPROVAL_CANCELLED
        && envelope.event_type != approval_events::APPROVAL_ESCALATED;
    if step_ended {
        deltas.push(StatDelta::StepDecided {
            workflow_id,
            step: scoring.step,
            seconds,
        });
    }
    if matches!(status.as_str(), "APPROVED" | "REJECTED") {
        deltas.push(StatDelta::Concluded {
            requester_id,
            rejected: status == "REJECTED",
        });
    }
    if envelope.event_type != approval_events::APPROVAL_CANCELLED {
        scoring.context.step_time = Some(step_time);
    }
    scoring.closed = matches!(status.as_str(), "APPROVED" | "REJECTED" | "CANCELLED");
    if let Some(step) = data["current_step"].as_u64() {
        let step = usize::try_from(step).unwrap_or(scoring.step);
        if step != scoring.step {
            scoring.step = step;
            scoring.step_started_at = at;
        }
    }
    scoring.risk = score(&scoring.context);
    scoring.version += 1;
    Ok(Some((scoring, Some(previous), deltas)))
}

/// The first scoring of a request, from the statistics as they stood
/// before it.
async fn filed(
    store: &Store,
    envelope: &Envelope,
    approval_id: EntityId,
    workflow_id: String,
    requester_id: String,
) -> Result<Option<(Scoring, Option<u64>, Vec<StatDelta>)>, InsightsError> {
    let data = &envelope.data;
    let at = envelope.occurred_at;
    let previous = store.scoring(&approval_id).await?.map(|s| s.version);
    let (workflow, requester) = tokio::try_join!(
        store.workflow_stats(&workflow_id),
        store.requester_history(&requester_id, at),
    )?;
    let amount = data["amount"]
        .as_f64()
        .filter(|a| a.is_finite() && *a >= 0.0);
    let fields: Vec<String> = data["payload"]
        .as_object()
        .map(|payload| {
            payload
                .keys()
                .filter(|k| !k.is_empty())
                .take(MAX_FIELDS)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let new_fields = if workflow.requests >= AmountHistory::MIN_HISTORY {
        fields
            .iter()
            .filter(|f| !workflow.fields.contains(*f))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let (seen_requests, seen_filed) = (workflow.requests, requester.filed);
    let context = Context {
        amount,
        amounts: workflow.amounts,
        requester,
        new_fields,
        step_time: None,
    };
    let filed_at = data["created_at"]
        .as_str()
        .and_then(|t| OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
        .unwrap_or(at);
    let scoring = Scoring {
        approval_id,
        workflow_id: workflow_id.clone(),
        requester_id: requester_id.clone(),
        filed_at,
        risk: score(&context),
        context,
        step: 0,
        step_started_at: filed_at,
        closed: false,
        version: previous.map_or(1, |v| v + 1),
    };
    let deltas = vec![StatDelta::Filed {
        workflow_id,
        requester_id,
        seen_requests,
        seen_filed,
        amount,
        fields,
        at,
    }];
    Ok(Some((scoring, previous, deltas)))
}
