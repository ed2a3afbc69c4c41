//! What clients see of rules, which is also what rule events carry as
//! `data`: the definition as written (trigger, conditions, actions, …)
//! plus identity and versioning; what a rule did with an event (a run);
//! and what `execute` answers. Storage keys never leave the store.

pub mod decisions;

use crate::domain::EntityId;
use crate::events::Envelope;
use crate::language::rule::RuleEvaluation;
use crate::language::{Action, RuleSpec};
use crate::store::rules::RuleRecord;
use crate::store::runs::{ActionOutcome, RunRecord, RunStatus};
use crate::store::StoreError;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// A rule as the API shows it.
pub fn rule_view(record: &RuleRecord) -> Result<Value, StoreError> {
    let mut body = definition(&record.spec()?)?;
    body.insert("id".into(), record.id.to_string().into());
    body.insert("created_by".into(), record.created_by.to_string().into());
    body.insert("created_at".into(), rfc3339(record.created_at).into());
    body.insert("updated_at".into(), rfc3339(record.updated_at).into());
    body.insert("version".into(), record.version.into());
    Ok(Value::Object(body))
}

/// A rule's definition as the JSON object it is written as.
pub fn definition(spec: &RuleSpec) -> Result<Map<String, Value>, StoreError> {
    match serde_json::to_value(spec) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(StoreError::Other(anyhow::anyhow!(
            "a rule that is not an object"
        ))),
    }
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A run as the API shows it: what one rule did with one event.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunView {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    event_id: EntityId,
    event_type: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    rule_id: EntityId,
    /// The rule's name when it ran.
    rule_name: String,
    /// How many actions led to the event (rules stop at 3).
    depth: u32,
    correlation_id: String,
    status: RunStatus,
    /// Why it was skipped or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// `{triggered, matched, conditions}`: each condition's value and result.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<RuleEvaluation>))]
    evaluation: Option<Value>,
    /// Each action's outcome, in the rule's order.
    actions: Vec<ActionOutcome>,
    attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    finished_at: OffsetDateTime,
    duration_ms: u64,
}

/// A run as the API shows it.
pub fn run_view(record: &RunRecord) -> RunView {
    RunView {
        event_id: record.event_id,
        event_type: record.event_type.clone(),
        rule_id: record.rule_id,
        rule_name: record.rule_name.clone(),
        depth: record.depth,
        correlation_id: record.correlation_id.clone(),
        status: record.status,
        reason: record.reason.clone(),
        evaluation: record.evaluation(),
        actions: record.actions(),
        attempts: record.attempts,
        started_at: record.started_at,
        finished_at: record.finished_at,
        duration_ms: record.duration_ms,
    }
}

/// What `execute` answers: the event the rules saw and one result per
/// rule.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Executed {
    pub dry_run: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::schemas::Event))]
    pub event: Envelope,
    /// One per rule, in the order they ran.
    pub results: Vec<RuleResult>,
}

/// What became of one rule in `execute`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum RuleResult {
    /// It ran for real: its run, as the runs listing shows it.
    Run(RunView),
    /// A dry run's evaluation and the actions that would run.
    Dry(DryRun),
    /// It did not run: the rule named by `rule_id` has a trigger that does
    /// not match (`not_triggered`), or its run could not be recorded
    /// (`error`, with a request id to quote).
    NotRun(RuleNotRun),
}

/// A rule in a dry run.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// No other field: the schema says so, which tells the results apart.
#[serde(deny_unknown_fields)]
pub struct DryRun {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub rule_id: EntityId,
    pub rule_name: String,
    pub status: DryRunStatus,
    /// `{triggered, matched, conditions}`: each condition's value and result.
    pub evaluation: RuleEvaluation,
    pub actions: Vec<PlannedAction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DryRunStatus {
    Matched,
    NotMatched,
}

/// An action of a dry run: what it would do, and whether it would run.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// No other field: the schema says so, which tells the results apart.
#[serde(deny_unknown_fields)]
pub struct PlannedAction {
    pub index: usize,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub status: PlannedStatus,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlannedStatus {
    WouldRun,
    NotRun,
}

/// A rule that did not run.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// No other field: the schema says so, which tells the results apart.
#[serde(deny_unknown_fields)]
pub struct RuleNotRun {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub rule_id: EntityId,
    pub rule_name: String,
    pub status: NotRunStatus,
    pub reason: String,
    /// A dry run's evaluation of the rule whose trigger does not match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<RuleEvaluation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotRunStatus {
    NotTriggered,
    Error,
}
