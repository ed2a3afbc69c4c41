//! A run as stored: its status, its actions' outcomes, and the item that
//! records it. The evaluation trace and the outcomes are JSON text (never
//! DynamoDB maps); the index sort keys put runs in order of their start.

use super::super::{keys, Entity, Keys, StoreError};
use super::RUN_RETENTION;
use crate::domain::EntityId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

opsflow_platform::string_enum! {
    parse_error = "must be succeeded, failed, not_matched or skipped".to_owned();
    pub enum RunStatus {
        /// Matched, and every action was carried out.
        Succeeded = "succeeded",
        /// Matched, and an action failed (the rest did not run).
        Failed = "failed",
        /// Triggered, and the conditions did not hold.
        NotMatched = "not_matched",
        /// Triggered, and not evaluated (`reason` says why).
        Skipped = "skipped",
    }
}

/// How one action went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Ok,
    Failed,
    NotRun,
}

/// The outcome of one action of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionOutcome {
    /// The action's place in the rule's `actions`.
    pub index: usize,
    /// The action's `type`.
    #[serde(rename = "type")]
    pub kind: String,
    pub status: ActionStatus,
    /// What it did, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The final record of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub event_id: EntityId,
    pub event_type: String,
    pub rule_id: EntityId,
    pub rule_name: String,
    pub depth: u32,
    pub correlation_id: String,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The rule's evaluation (trigger, match, condition trace) as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    evaluation: Option<String>,
    /// The actions' outcomes, as JSON text.
    actions: String,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    pub duration_ms: u64,
    expires_at: i64,
}

/// What a run is about, known before it is evaluated.
#[derive(Debug, Clone)]
pub struct RunSubject {
    pub event_id: EntityId,
    pub event_type: String,
    pub rule_id: EntityId,
    pub rule_name: String,
    pub depth: u32,
    pub correlation_id: String,
    pub started_at: OffsetDateTime,
}

/// How a run ended, to be recorded.
#[derive(Debug, Clone)]
pub struct RunEnd {
    pub status: RunStatus,
    pub reason: Option<String>,
    pub evaluation: Option<serde_json::Value>,
    pub actions: Vec<ActionOutcome>,
    pub attempts: u32,
    pub finished_at: OffsetDateTime,
}

/// `started` as fixed-width UTC with microseconds, so that it sorts as text.
fn sortable(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    crate::clock::to_utc(at).format(&format).unwrap_or_default()
}

impl RunRecord {
    pub fn new(subject: RunSubject, end: RunEnd) -> Result<Self, StoreError> {
        let millis = (end.finished_at - subject.started_at).whole_milliseconds();
        Ok(Self {
            event_id: subject.event_id,
            event_type: subject.event_type,
            rule_id: subject.rule_id,
            rule_name: subject.rule_name,
            depth: subject.depth,
            correlation_id: subject.correlation_id,
            status: end.status,
            reason: end.reason,
            evaluation: end.evaluation.as_ref().map(json_text).transpose()?,
            actions: json_text(&end.actions)?,
            attempts: end.attempts,
            started_at: subject.started_at,
            finished_at: end.finished_at,
            duration_ms: u64::try_from(millis).unwrap_or(0),
            expires_at: (end.finished_at + RUN_RETENTION).unix_timestamp(),
        })
    }

    /// The evaluation, as it was recorded.
    pub fn evaluation(&self) -> Option<serde_json::Value> {
        self.evaluation
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
    }

    /// The actions' outcomes, in the rule's order.
    pub fn actions(&self) -> Vec<ActionOutcome> {
        serde_json::from_str(&self.actions).unwrap_or_default()
    }
}

/// In its event's partition; `gsi1`: every run, `gsi2`: the runs of its
/// rule, both in order of their start.
impl Entity for RunRecord {
    const TYPE: &'static str = "automation_run";

    fn keys(&self) -> Keys {
        let sort = keys::run_sort(&sortable(self.started_at), &self.event_id, &self.rule_id);
        let table = Keys::table(
            keys::runs_of_event_pk(&self.event_id),
            keys::run_sk(&self.rule_id),
        );
        table.listed(
            keys::RUNS_GSI1PK,
            keys::runs_of_rule_gsi2pk(&self.rule_id),
            sort,
        )
    }
}

fn json_text<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(e.into()))
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
