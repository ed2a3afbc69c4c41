//! Scoring approvals from their events. An approval is scored when it is
//! filed — its amount against its workflow's amounts, its requester's
//! history, its payload's fields against those the workflow saw — and
//! scored again when a step is decided or escalated (the step's time
//! against the usual) and when it ends. Each event moves the running
//! statistics once ([`crate::store::statistics`]); a filing is scored
//! against the statistics as they stood when it was analysed, before its
//! own move. Events of one approval apply in the order of its versions: an
//! older one arriving late changes nothing. Then the approval's risk and
//! insight are brought in line with its scoring ([`super::insights::sync`]),
//! which a redelivery does again, harmlessly.

use super::detectors::watch_of;
use super::InsightsError;
use crate::domain::{score, AmountHistory, Context, StepTime};
use crate::store::statistics::Committed;
use crate::store::{Mark, Scoring, StatDelta, StatisticsStore, Store, WorkflowStats};
use opsflow_approvals::events as approval_events;
use opsflow_platform::domain::EntityId;
use opsflow_platform::events::Envelope;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

/// How often an event is tried against fresh statistics when another
/// event of the same approval or workflow commits first; then the queue
/// retries it.
const MAX_ATTEMPTS: u32 = 24;

/// The most payload fields of one request the statistics take: non-empty
/// (a set's values must be), at most [`MAX_FIELD_LENGTH`] characters.
const MAX_FIELDS: usize = 50;
const MAX_FIELD_LENGTH: usize = 64;
/// The most fields a workflow's statistics remember: past them, a field
/// is still reported new but no longer remembered, so one workflow's
/// statistics stay far below an item's 400 KB.
pub const MAX_FIELDS_REMEMBERED: usize = 500;

/// An approval filed this long before its first event reached the
/// analyzer was filed before the analyzer ran (its filing event will not
/// come): it is scored from that event, as it stands.
const ADOPTED_AFTER: Duration = Duration::minutes(15);

/// What analysing one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Analyzed {
    /// Its statistics moved and the approval's risk follows.
    Scored,
    /// It had been analysed before: the approval's risk was brought in
    /// line (again).
    Duplicate,
    /// It scores nothing (another kind of event, or one older than what
    /// its approval's scoring has applied).
    Ignored,
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

/// Analyses one event: its statistics once, the approval's risk after.
#[tracing::instrument(skip_all, fields(event_id = %envelope.id, event_type = %envelope.event_type))]
pub async fn analyze(store: &Store, envelope: &Envelope) -> Result<Analyzed, InsightsError> {
    if envelope.entity != approval_events::APPROVAL
        || !SCORED.contains(&envelope.event_type.as_str())
    {
        return Ok(Analyzed::Ignored);
    }
    for attempt in 0..MAX_ATTEMPTS {
        if let Some(mark) = store.mark(&envelope.id).await? {
            super::insights::sync(store, &mark.approval_id).await?;
            return Ok(Analyzed::Duplicate);
        }
        let Some((scoring, previous, deltas)) = next_scoring(store, envelope).await? else {
            return Ok(Analyzed::Ignored);
        };
        let mark = Mark {
            approval_id: scoring.approval_id,
        };
        let now = opsflow_platform::clock::now();
        match store
            .commit_event(
                &envelope.id,
                &mark,
                &deltas,
                &scoring,
                previous.as_ref(),
                now,
            )
            .await?
        {
            Committed::Now => {
                super::insights::sync(store, &scoring.approval_id).await?;
                return Ok(Analyzed::Scored);
            }
            Committed::Before(mark) => {
                super::insights::sync(store, &mark.approval_id).await?;
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

fn index(value: &Value) -> Option<usize> {
    value.as_u64().and_then(|v| usize::try_from(v).ok())
}

/// The approval's scoring after `envelope`, the version it replaces and
/// the statistics it moves; `None` when the event changes nothing.
async fn next_scoring(
    store: &Store,
    envelope: &Envelope,
) -> Result<Option<(Scoring, Option<Scoring>, Vec<StatDelta>)>, InsightsError> {
    let data = &envelope.data;
    let approval_id = EntityId::parse(&envelope.entity_id)
        .map_err(|why| InsightsError::Malformed(format!("entity_id {why}")))?;
    let version = data["version"]
        .as_u64()
        .ok_or_else(|| InsightsError::Malformed("data.version is missing".into()))?;
    let held = store.scoring(&approval_id).await?;
    let Some(mut scoring) = held else {
        let filed_at = filed_at(envelope);
        let adopted = envelope.occurred_at - filed_at > ADOPTED_AFTER;
        if envelope.event_type == approval_events::APPROVAL_CREATED || adopted {
            return first_scoring(store, envelope, approval_id, version).await;
        }
        return Err(InsightsError::NotYetScored(approval_id.to_string()));
    };
    if version <= scoring.version_applied || scoring.closed {
        return Ok(None);
    }
    let previous = scoring.clone();
    let at = envelope.occurred_at;
    let workflow = store.workflow_stats(&scoring.workflow_id).await?;
    let status = text(data, "status");
    let event_type = envelope.event_type.as_str();
    // The step this event decided: as the decision names it, else the
    // step it left.
    let decided = index(&envelope.changes["decision"][1]["step"])
        .or_else(|| index(&envelope.changes["current_step"][0]))
        .unwrap_or(scoring.step);
    let mut deltas = Vec::new();
    let step_ended = !matches!(
        event_type,
        approval_events::APPROVAL_CANCELLED | approval_events::APPROVAL_ESCALATED
    );
    // Only a step whose start this scoring saw has a time.
    if decided == scoring.step && event_type != approval_events::APPROVAL_CANCELLED {
        let seconds = (at - scoring.step_started_at).as_seconds_f64().max(0.0);
        let (usual, samples) = workflow.usual_step(decided);
        scoring.context.step_time = Some(StepTime {
            seconds,
            usual_seconds: usual,
            samples,
        });
        if step_ended {
            deltas.push(StatDelta::StepDecided {
                workflow_id: scoring.workflow_id.clone(),
                step: decided,
                seconds,
            });
        }
    }
    if matches!(status.as_str(), "APPROVED" | "REJECTED") {
        deltas.push(StatDelta::Concluded {
            requester_id: scoring.requester_id.clone(),
            rejected: status == "REJECTED",
        });
    }
    if let Some(step) = index(&data["current_step"]) {
        if step != scoring.step {
            scoring.step = step;
            scoring.step_started_at = at;
        }
    }
    scoring.closed = matches!(status.as_str(), "APPROVED" | "REJECTED" | "CANCELLED");
    scoring.status = status;
    scoring.risk = score(&scoring.context);
    scoring.scored_at = at;
    scoring.version_applied = version;
    scoring.correlation_id = envelope.correlation_id.clone();
    scoring.depth = envelope.depth;
    scoring.version += 1;
    scoring.watch = watch_of(&scoring, &workflow);
    Ok(Some((scoring, Some(previous), deltas)))
}

/// When the approval was filed, as its event's data says.
fn filed_at(envelope: &Envelope) -> OffsetDateTime {
    envelope.data["created_at"]
        .as_str()
        .and_then(|t| OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
        .unwrap_or(envelope.occurred_at)
}

/// The payload's fields the statistics take (see [`MAX_FIELDS`]).
fn fields_of(data: &Value) -> Vec<String> {
    data["payload"]
        .as_object()
        .map(|payload| {
            payload
                .keys()
                .filter(|k| !k.is_empty() && k.chars().count() <= MAX_FIELD_LENGTH)
                .take(MAX_FIELDS)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Of `fields`, those the workflow never saw (empty while it has too few
/// requests to tell), and those of them it may still remember.
fn new_fields(fields: &[String], workflow: &WorkflowStats) -> (Vec<String>, Vec<String>) {
    let unseen: Vec<String> = fields
        .iter()
        .filter(|f| !workflow.fields.contains(*f))
        .cloned()
        .collect();
    let room = MAX_FIELDS_REMEMBERED.saturating_sub(workflow.fields.len());
    let remembered = unseen.iter().take(room).cloned().collect();
    let reported = if workflow.requests >= AmountHistory::MIN_HISTORY {
        unseen
    } else {
        Vec::new()
    };
    (reported, remembered)
}

/// The first scoring of a request, from the statistics as they stand. A
/// filing moves them; an approval adopted from a later event (filed
/// before the analyzer ran) does not.
async fn first_scoring(
    store: &Store,
    envelope: &Envelope,
    approval_id: EntityId,
    version: u64,
) -> Result<Option<(Scoring, Option<Scoring>, Vec<StatDelta>)>, InsightsError> {
    let data = &envelope.data;
    let at = envelope.occurred_at;
    let workflow_id = field_of(data, "workflow_id")?;
    let requester_id = field_of(data, "requester_id")?;
    let (workflow, requester) = tokio::try_join!(
        store.workflow_stats(&workflow_id),
        store.requester_history(&requester_id, at),
    )?;
    let amount = data["amount"]
        .as_f64()
        .filter(|a| a.is_finite() && *a >= 0.0);
    let fields = fields_of(data);
    let (reported, remembered) = new_fields(&fields, &workflow);
    let (seen_requests, seen_filed) = (workflow.requests, requester.filed);
    let context = Context {
        amount,
        amounts: workflow.amounts.clone(),
        requester,
        new_fields: reported,
        step_time: None,
    };
    let status = text(data, "status");
    let filed_at = filed_at(envelope);
    let scoring = Scoring {
        approval_id,
        workflow_id: workflow_id.clone(),
        requester_id: requester_id.clone(),
        title: text(data, "title"),
        filed_at,
        risk: score(&context),
        context,
        step: index(&data["current_step"]).unwrap_or(0),
        step_started_at: if version == 1 { filed_at } else { at },
        closed: matches!(status.as_str(), "APPROVED" | "REJECTED" | "CANCELLED"),
        status,
        scored_at: at,
        version_applied: version,
        correlation_id: envelope.correlation_id.clone(),
        depth: envelope.depth,
        workflow_name: text(data, "workflow_name"),
        watch: None,
        version: 1,
    };
    let scoring = Scoring {
        watch: watch_of(&scoring, &workflow),
        ..scoring
    };
    let deltas = if envelope.event_type == approval_events::APPROVAL_CREATED {
        vec![StatDelta::Filed {
            workflow_id,
            requester_id,
            seen_requests,
            seen_filed,
            amount,
            fields: remembered,
            at,
        }]
    } else {
        Vec::new()
    };
    Ok(Some((scoring, None, deltas)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_taken_non_empty_short_and_few() {
        let long = "f".repeat(MAX_FIELD_LENGTH + 1);
        let mut payload = serde_json::Map::new();
        for key in ["", "vendor", long.as_str()] {
            payload.insert(key.to_owned(), json!(1));
        }
        for n in 0..80 {
            payload.insert(format!("k{n:02}"), json!(n));
        }
        let fields = fields_of(&json!({ "payload": payload }));
        assert_eq!(fields.len(), MAX_FIELDS);
        assert!(!fields.iter().any(|f| f.is_empty() || f == &long));
    }

    #[test]
    fn new_fields_are_reported_once_history_allows_and_remembered_while_there_is_room() {
        let mut workflow = WorkflowStats {
            requests: 2,
            ..WorkflowStats::default()
        };
        workflow.fields.insert("vendor".into());
        let fields = vec!["vendor".to_owned(), "wire_to".to_owned()];
        assert_eq!(
            new_fields(&fields, &workflow),
            (vec![], vec!["wire_to".into()])
        );
        workflow.requests = AmountHistory::MIN_HISTORY;
        assert_eq!(
            new_fields(&fields, &workflow),
            (vec!["wire_to".into()], vec!["wire_to".into()])
        );
        for n in 0..MAX_FIELDS_REMEMBERED {
            workflow.fields.insert(format!("f{n}"));
        }
        assert_eq!(
            new_fields(&fields, &workflow),
            (vec!["wire_to".into()], vec![])
        );
    }
}
