//! Writing rules. A rule is checked as a whole before it is stored (its
//! trigger, every condition and every action, each problem named by its
//! path in the rule), so a stored rule can always be evaluated; an update
//! merges the given fields into the stored definition and checks the
//! result the same way. Every write commits its `rule.*` event with it.

use crate::events::{self, Actor, Envelope};
use crate::language::{Problems, RuleInput, RuleSpec};
use crate::store::rules::{RuleRecord, RuleStore};
use crate::store::{Store, StoreError};
use crate::view::{definition, rule_view};
use opsflow_platform::domain::EntityId;
use opsflow_platform::error::{ApiError, FieldError};
use serde_json::{Map, Value};

/// The fields an update may change.
pub const CHANGEABLE: [&str; 7] = [
    "name",
    "description",
    "trigger",
    "conditions",
    "actions",
    "enabled",
    "priority",
];

/// Why a rule was not written.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// 422: the rule, as it would be, is not valid; each problem is named
    /// by its path in the rule.
    #[error("the rule is not valid")]
    Invalid(Problems),
    /// 409: the rule changed since it was read.
    #[error("the rule was changed concurrently; reload and retry")]
    Stale,
    /// The store failed (its own status: 409, 503 or 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RuleError> for ApiError {
    fn from(error: RuleError) -> Self {
        match error {
            RuleError::Invalid(problems) => ApiError::invalid(
                problems
                    .into_iter()
                    .map(|(field, message)| FieldError::new(field, message))
                    .collect(),
            ),
            RuleError::Stale => ApiError::Conflict(RuleError::Stale.to_string()),
            RuleError::Store(error) => error.into(),
        }
    }
}

fn stale_on_condition(error: StoreError) -> RuleError {
    match error {
        StoreError::ConditionFailed => RuleError::Stale,
        other => RuleError::Store(other),
    }
}

/// Stores a new rule made by `actor`; returns it and its view.
pub async fn create_rule(
    store: &Store,
    actor: Actor,
    author: EntityId,
    correlation_id: &str,
    input: RuleInput,
) -> Result<(RuleRecord, Value), RuleError> {
    let spec = RuleSpec::parse(input).map_err(RuleError::Invalid)?;
    let record = RuleRecord::new(&spec, author, opsflow_platform::clock::now())?;
    let shown = rule_view(&record)?;
    let event = Envelope::new(
        events::RULE_CREATED,
        events::RULE,
        record.id,
        actor,
        correlation_id,
        shown.clone(),
    );
    store.create_rule(&record, &event).await?;
    Ok((record, shown))
}

/// `record`'s definition with `changes` (fields of [`CHANGEABLE`]; `null`
/// removes an optional one) merged in: what the rule would be.
pub fn merged(
    record: &RuleRecord,
    changes: Map<String, Value>,
) -> Result<Map<String, Value>, RuleError> {
    let mut merged = definition(&record.spec()?)?;
    for (field, value) in changes {
        if value.is_null() {
            merged.remove(&field);
        } else {
            merged.insert(field, value);
        }
    }
    Ok(merged)
}

/// Replaces `record`'s definition (as it was read) with `input`, checked
/// as a whole, and stores it if the rule is still at the version read.
/// Returns the new view.
pub async fn update_rule(
    store: &Store,
    actor: Actor,
    correlation_id: &str,
    record: &mut RuleRecord,
    input: RuleInput,
) -> Result<Value, RuleError> {
    let before = rule_view(record)?;
    let spec = RuleSpec::parse(input).map_err(RuleError::Invalid)?;
    record.set_spec(&spec)?;

    let now = opsflow_platform::clock::now();
    let mut after_record = record.clone();
    after_record.version += 1;
    after_record.updated_at = now;
    let after = rule_view(&after_record)?;
    let mut event = Envelope::new(
        events::RULE_UPDATED,
        events::RULE,
        record.id,
        actor,
        correlation_id,
        after.clone(),
    );
    event = event.changes_between(&before, &after, &CHANGEABLE);
    store
        .update_rule(record, now, &event)
        .await
        .map_err(stale_on_condition)?;
    Ok(after)
}

/// Deletes `record` if it is still at the version read.
pub async fn delete_rule(
    store: &Store,
    actor: Actor,
    correlation_id: &str,
    record: &RuleRecord,
) -> Result<(), RuleError> {
    let event = Envelope::new(
        events::RULE_DELETED,
        events::RULE,
        record.id,
        actor,
        correlation_id,
        rule_view(record)?,
    );
    store
        .delete_rule(record, &event)
        .await
        .map_err(stale_on_condition)
}
