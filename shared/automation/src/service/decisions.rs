//! Decision rules and decisions. A workflow type's rule is a series of
//! immutable versions: writing a rule makes the type's next version
//! (`decision_rule.created`), and only a version's `is_active` changes
//! after (`decision_rule.updated`). The highest active version decides.
//!
//! A decision request is decided once per `request_id`, whichever
//! instance sees it first: its answer, its run (when a rule ran) and its
//! `automation.decided` event commit in one transaction whose answer item
//! must be new, so concurrent repeats all get the first answer back as
//! `DUPLICATE_IGNORED`.

use crate::auth::Principal;
use crate::domain::EntityId;
use crate::events::{
    Actor, Envelope, AUTOMATION_DECIDED, DECISION, DECISION_RULE, DECISION_RULE_CREATED,
    DECISION_RULE_UPDATED,
};
use crate::language::decision::{self, parse_conditions, DecisionOutcome, Verdict};
use crate::language::Problems;
use crate::store::decisions::{
    DecisionAnswerRecord, DecisionRuleRecord, DecisionStore, NewVersion, ANSWER_RETENTION,
};
use crate::store::runs::{RunEnd, RunRecord, RunStatus, RunSubject};
use crate::store::{Store, StoreError};
use crate::view::decisions::{decision_rule_view, DecisionAnswer, DecisionStatus};
use opsflow_approvals::domain::WorkflowType;
use opsflow_platform::clock;
use opsflow_platform::error::{ApiError, FieldError};
use serde::Deserialize;
use serde_json::{json, Value};

/// How often a write is tried against fresh state when it meets another.
const MAX_ATTEMPTS: usize = 5;

/// A decision rule as a client writes it: the next version of its type.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecisionRuleInput {
    /// The workflow type it decides (any case; kept in upper case).
    #[cfg_attr(feature = "openapi", schema(example = "HIGH_VALUE_TRANSACTION"))]
    pub workflow_type: String,
    /// `[{field, operator, value}]`, all of which must hold (at most 50);
    /// none: the outcome always applies.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::language::decision::ConditionView>))]
    pub conditions: Option<Value>,
    /// `APPROVED`, `REJECTED` or `ESCALATED` (any case).
    #[cfg_attr(feature = "openapi", schema(example = "ESCALATED"))]
    pub outcome: String,
    /// Whether it may decide (default `true`).
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Up to 2000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub description: Option<String>,
}

/// Why a decision rule was not written.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// 422: each problem named by its field.
    #[error("the decision rule is not valid")]
    Invalid(Problems),
    /// 409: others wrote the same type at the same moment, repeatedly.
    #[error("the decision rule was changed concurrently; reload and retry")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DecisionError> for ApiError {
    fn from(error: DecisionError) -> Self {
        match error {
            DecisionError::Invalid(problems) => ApiError::invalid(
                problems
                    .into_iter()
                    .map(|(field, message)| FieldError::new(field, message))
                    .collect(),
            ),
            DecisionError::Busy => ApiError::Conflict(error.to_string()),
            DecisionError::Store(error) => error.into(),
        }
    }
}

/// A workflow type as decision rules name it (the workflows' own).
pub fn workflow_type(input: &str) -> Result<String, String> {
    WorkflowType::parse(input).map(|t| t.as_str().to_owned())
}

fn parse_input(input: DecisionRuleInput, author: EntityId) -> Result<NewVersion, Problems> {
    let mut problems = Problems::new();
    let workflow_type = workflow_type(&input.workflow_type)
        .map_err(|m| problems.push(("workflow_type".into(), m)))
        .ok();
    let conditions = parse_conditions(&input.conditions.unwrap_or_else(|| json!([])))
        .map_err(|found| problems.extend(found))
        .ok();
    let outcome = DecisionOutcome::parse(&input.outcome.trim().to_ascii_uppercase())
        .map_err(|m| problems.push(("outcome".into(), m)))
        .ok();
    let description = input.description.unwrap_or_default().trim().to_owned();
    if description.chars().count() > 2000 {
        problems.push((
            "description".into(),
            "must be at most 2000 characters".into(),
        ));
    }
    match (workflow_type, conditions, outcome) {
        (Some(workflow_type), Some(conditions), Some(outcome)) if problems.is_empty() => {
            Ok(NewVersion {
                workflow_type,
                conditions,
                outcome,
                is_active: input.is_active.unwrap_or(true),
                description,
                created_by: author,
            })
        }
        _ => Err(problems),
    }
}

/// Makes the next version of a type's rule, as `principal`.
pub async fn create_version(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    input: DecisionRuleInput,
) -> Result<DecisionRuleRecord, DecisionError> {
    let new = parse_input(input, principal.user_id).map_err(DecisionError::Invalid)?;
    for _ in 0..MAX_ATTEMPTS {
        let head = store.decision_head(&new.workflow_type).await?;
        let version = head.as_ref().map_or(1, |h| h.latest_version + 1);
        let record = DecisionRuleRecord::new(new.clone(), version, clock::now())?;
        let event = rule_event(DECISION_RULE_CREATED, &record, principal, correlation_id);
        match store
            .create_decision_version(head.as_ref(), &record, &event)
            .await
        {
            Ok(()) => return Ok(record),
            Err(StoreError::ConditionFailed) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(DecisionError::Busy)
}

fn rule_event(
    event_type: &str,
    record: &DecisionRuleRecord,
    principal: &Principal,
    correlation_id: &str,
) -> Envelope {
    let data = serde_json::to_value(decision_rule_view(record)).unwrap_or_default();
    Envelope::new(
        event_type,
        DECISION_RULE,
        record.id,
        Actor::from(principal),
        correlation_id,
        data,
    )
}

/// Turns a version of a type's rule (`record`, as read) on or off, as
/// `principal`; a change since it was read is [`DecisionError::Busy`].
pub async fn set_active(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    record: DecisionRuleRecord,
    is_active: bool,
) -> Result<DecisionRuleRecord, DecisionError> {
    if record.is_active == is_active {
        return Ok(record);
    }
    let mut next = record.clone();
    next.is_active = is_active;
    next.revision += 1;
    next.updated_at = clock::now();
    let event = rule_event(DECISION_RULE_UPDATED, &next, principal, correlation_id).change(
        "is_active",
        record.is_active,
        is_active,
    );
    match store
        .update_decision_version(&next, record.revision, &event)
        .await
    {
        Ok(()) => Ok(next),
        Err(StoreError::ConditionFailed) => Err(DecisionError::Busy),
        Err(error) => Err(error.into()),
    }
}

/// A decision request, checked: its id, its type and the request as sent
/// (what conditions read).
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    pub request_id: String,
    pub workflow_type: String,
    pub body: Value,
}

/// Decides `request` for `principal` by the highest active version of
/// its type's rule, once per `request_id`.
pub async fn decide(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    request: DecisionRequest,
) -> Result<DecisionAnswer, StoreError> {
    for _ in 0..MAX_ATTEMPTS {
        if let Some(answer) = decide_once(store, principal, correlation_id, &request).await? {
            return Ok(answer);
        }
        // Two instances wrote the answer at once and DynamoDB cancelled
        // both: the request id is still free; try again shortly.
        clock::pause(10, 40).await;
    }
    Err(StoreError::ConditionFailed)
}

/// One try: the answer, or `None` when the answer could not be written
/// and none was found (a cancelled race).
async fn decide_once(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    request: &DecisionRequest,
) -> Result<Option<DecisionAnswer>, StoreError> {
    if let Some(first) = store.decision_answer(&request.request_id).await? {
        return Ok(Some(DecisionAnswer::duplicate(&first, correlation_id)));
    }
    let started = clock::now();
    let rule = store.active_decision_rule(&request.workflow_type).await?;
    let task_id = EntityId::new();
    let event_id = EntityId::new();
    let mut answer = DecisionAnswerRecord {
        request_id: request.request_id.clone(),
        task_id,
        workflow_type: request.workflow_type.clone(),
        status: DecisionStatus::Skipped.as_str().to_owned(),
        reason: "NO_ACTIVE_RULE".to_owned(),
        outcome: None,
        rule_version: None,
        rule_id: None,
        correlation_id: correlation_id.to_owned(),
        decided_at: started,
        expires_at: (started + ANSWER_RETENTION).unix_timestamp(),
    };
    let run = match &rule {
        None => None,
        Some(rule) => {
            let (verdict, evaluation) = decision::decide(&rule.conditions()?, &request.body);
            let run_status = match verdict {
                Verdict::Passed => RunStatus::Succeeded,
                Verdict::MissingField(_) => RunStatus::Skipped,
                Verdict::Failed(_) => RunStatus::NotMatched,
            };
            if verdict == Verdict::Passed {
                answer.status = DecisionStatus::Triggered.as_str().to_owned();
                answer.outcome = Some(rule.outcome);
            }
            answer.reason = verdict.reason();
            answer.rule_version = Some(rule.version);
            answer.rule_id = Some(rule.id);
            let subject = RunSubject {
                event_id,
                event_type: AUTOMATION_DECIDED.to_owned(),
                rule_id: rule.id,
                rule_name: format!("{} decision rule v{}", rule.workflow_type, rule.version),
                depth: 0,
                correlation_id: correlation_id.to_owned(),
                started_at: started,
            };
            let end = RunEnd {
                status: run_status,
                reason: Some(answer.reason.clone()),
                evaluation: Some(json!({
                    "matched": evaluation.matched,
                    "trace": evaluation.trace,
                    "outcome": answer.outcome,
                })),
                actions: Vec::new(),
                attempts: 1,
                finished_at: clock::now(),
            };
            Some(RunRecord::new(subject, end)?)
        }
    };
    let shown = DecisionAnswer::from_record(&answer, correlation_id);
    let mut data = serde_json::to_value(&shown).unwrap_or_default();
    data["request"] = request.body.clone();
    let mut event = Envelope::new(
        AUTOMATION_DECIDED,
        DECISION,
        task_id,
        Actor::from(principal),
        correlation_id,
        data,
    );
    event.id = event_id;
    match store.record_decision(&answer, run.as_ref(), &event).await {
        Ok(()) => Ok(Some(shown)),
        Err(StoreError::ConditionFailed) => Ok(store
            .decision_answer(&request.request_id)
            .await?
            .map(|first| DecisionAnswer::duplicate(&first, correlation_id))),
        Err(error) => Err(error),
    }
}
