//! What clients see of decision rules and decisions: a rule's version
//! (its conditions as written), a type's head, and the answer to a
//! decision request (also what `automation.decided` carries as `data`).

use crate::language::decision::{ConditionView, DecisionOutcome};
use crate::store::decisions::{DecisionAnswerRecord, DecisionRuleHead, DecisionRuleRecord};
use serde::Serialize;
use time::OffsetDateTime;

/// One version of a decision rule.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionRuleView {
    /// This version's id (runs name it as their `rule_id`).
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    id: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z][A-Z0-9_]{0,63}$"))]
    workflow_type: String,
    /// 1, 2, …: each edit of a type's rule is a new version.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    version: u32,
    /// All must hold, in order.
    conditions: Vec<ConditionView>,
    outcome: DecisionOutcome,
    /// The highest active version of a type decides its requests.
    is_active: bool,
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    description: String,
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    /// Advances with each change of `is_active` (the `ETag`).
    revision: u64,
}

pub fn decision_rule_view(record: &DecisionRuleRecord) -> DecisionRuleView {
    DecisionRuleView {
        id: record.id.to_string(),
        workflow_type: record.workflow_type.clone(),
        version: record.version,
        conditions: record.condition_views(),
        outcome: record.outcome,
        is_active: record.is_active,
        description: record.description.clone(),
        created_by: record.created_by.to_string(),
        created_at: record.created_at,
        updated_at: record.updated_at,
        revision: record.revision,
    }
}

/// A workflow type with decision rules.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionRuleHeadView {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z][A-Z0-9_]{0,63}$"))]
    workflow_type: String,
    /// Its last version (active or not).
    latest_version: u32,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

pub fn decision_head_view(head: &DecisionRuleHead) -> DecisionRuleHeadView {
    DecisionRuleHeadView {
        workflow_type: head.workflow_type.clone(),
        latest_version: head.latest_version,
        created_at: head.created_at,
        updated_at: head.updated_at,
    }
}

opsflow_platform::string_enum! {
    /// Whether a decision rule decided the request.
    pub enum DecisionStatus {
        Triggered = "TRIGGERED",
        Skipped = "SKIPPED",
    }
}

/// The answer to a decision request.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionAnswer {
    /// `TRIGGERED`: the active rule's conditions held and `outcome` is its
    /// decision; `SKIPPED`: no decision (see `reason`).
    pub status: DecisionStatus,
    /// The decision's id: its `automation.decided` event and audit record
    /// are about it (`entity` `decision`).
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub task_id: String,
    /// `RULE_PASSED`, `NO_ACTIVE_RULE`, `MISSING_FIELD:<field>`,
    /// `RULE_FAILED:<field>`, or `DUPLICATE_IGNORED` (a `request_id`
    /// decided before: the first answer's outcome, version and task).
    #[cfg_attr(feature = "openapi", schema(example = "RULE_PASSED"))]
    pub reason: String,
    /// The rule's outcome when it was triggered (for a repeat: the first
    /// answer's); otherwise `null`.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub outcome: Option<DecisionOutcome>,
    /// The version of the rule that decided (or was tried); `null` when no
    /// rule was active.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub rule_version: Option<u32>,
    pub request_id: String,
    pub workflow_type: String,
    /// This request's correlation id (`X-Correlation-ID`, echoed).
    pub correlation_id: String,
    /// When the request was decided (the first time, for a repeat).
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
}

impl DecisionAnswer {
    /// The answer `record` holds, given again to a request correlated as
    /// `correlation_id`.
    pub fn from_record(record: &DecisionAnswerRecord, correlation_id: &str) -> Self {
        Self {
            status: if record.status == DecisionStatus::Triggered.as_str() {
                DecisionStatus::Triggered
            } else {
                DecisionStatus::Skipped
            },
            task_id: record.task_id.to_string(),
            reason: record.reason.clone(),
            outcome: record.outcome,
            rule_version: record.rule_version,
            request_id: record.request_id.clone(),
            workflow_type: record.workflow_type.clone(),
            correlation_id: correlation_id.to_owned(),
            decided_at: record.decided_at,
        }
    }

    /// The answer to a repeat of a request decided as `record`.
    pub fn duplicate(record: &DecisionAnswerRecord, correlation_id: &str) -> Self {
        Self {
            status: DecisionStatus::Skipped,
            reason: "DUPLICATE_IGNORED".to_owned(),
            ..Self::from_record(record, correlation_id)
        }
    }
}
