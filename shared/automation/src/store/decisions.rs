//! Decision rules (immutable versions per workflow type) and the answers
//! given to decision requests.
//!
//! Items (in the entity table):
//! - a version: `pk = DECISION_RULE#<TYPE>, sk = VERSION#<version, 10
//!   digits>`, written once with `attribute_not_exists`; only `is_active`
//!   changes after (conditional on its `revision`). Its conditions are
//!   JSON text, read back through the language's parser.
//! - the type's head beside them: `sk = HEAD`, with `latest_version`,
//!   advanced with each new version on the condition that it still holds
//!   the number read, so two writers never make the same version; in
//!   `gsi1 = DECISION_RULES`, sorted `TYPE#<TYPE>`.
//! - an answer: `pk = DECISION#REQUEST#<request id>, sk = ANSWER`, written
//!   once with `attribute_not_exists`, with the decision's run and event in
//!   the same transaction; so a request id is decided once, whichever
//!   instance sees it first, and expires (`expires_at`) after
//!   [`ANSWER_RETENTION`].
//!
//! Access patterns:
//! - the versions of a type, newest first: `Query DECISION_RULE#<TYPE>,
//!   begins_with(sk, VERSION#)` (descending); the deciding one is the first
//!   with `is_active = true` (a filter on the same query)
//! - one version: `GetItem DECISION_RULE#<TYPE> / VERSION#<n>`
//! - every type: `Query gsi1 DECISION_RULES` (ascending)
//! - an answer: `GetItem DECISION#REQUEST#<id> / ANSWER` (consistent)

use super::runs::RunRecord;
use super::{
    entity_item, from_item, n, Entity, Expr, Keys, Partition, Store, StoreError, StoreFuture,
    Transaction,
};
use crate::domain::EntityId;
use crate::events::{Envelope, OutboxItem};
use crate::language::decision::{
    parse_conditions, ConditionView, DecisionCondition, DecisionOutcome,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

/// How long a request id's answer is kept (a repeat within it is ignored).
pub const ANSWER_RETENTION: Duration = Duration::days(90);

const HEAD_SK: &str = "HEAD";
const VERSION_PREFIX: &str = "VERSION#";
const HEADS_GSI1PK: &str = "DECISION_RULES";
const HEAD_SORT_PREFIX: &str = "TYPE#";
const ANSWER_SK: &str = "ANSWER";

fn rule_pk(workflow_type: &str) -> String {
    format!("DECISION_RULE#{workflow_type}")
}

/// Ten digits: every `u32` sorts in order.
fn version_sk(version: u32) -> String {
    format!("{VERSION_PREFIX}{version:010}")
}

fn answer_pk(request_id: &str) -> String {
    format!("DECISION#REQUEST#{request_id}")
}

/// One version of a workflow type's decision rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRuleRecord {
    pub id: EntityId,
    pub workflow_type: String,
    pub version: u32,
    /// `[{field, operator, value}]`, as JSON text.
    conditions: String,
    pub outcome: DecisionOutcome,
    pub is_active: bool,
    pub description: String,
    pub created_by: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Advances with each change of `is_active` (its `ETag`).
    pub revision: u64,
}

/// What a new version is made of.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub workflow_type: String,
    pub conditions: Vec<DecisionCondition>,
    pub outcome: DecisionOutcome,
    pub is_active: bool,
    pub description: String,
    pub created_by: EntityId,
}

impl DecisionRuleRecord {
    pub fn new(new: NewVersion, version: u32, now: OffsetDateTime) -> Result<Self, StoreError> {
        let views: Vec<ConditionView> = new.conditions.iter().map(|c| c.view()).collect();
        Ok(Self {
            id: EntityId::new(),
            workflow_type: new.workflow_type,
            version,
            conditions: serde_json::to_string(&views).map_err(|e| StoreError::Other(e.into()))?,
            outcome: new.outcome,
            is_active: new.is_active,
            description: new.description,
            created_by: new.created_by,
            created_at: now,
            updated_at: now,
            revision: 1,
        })
    }

    /// Its conditions, checked again on the way out of storage.
    pub fn conditions(&self) -> Result<Vec<DecisionCondition>, StoreError> {
        let value: Value = serde_json::from_str(&self.conditions)
            .map_err(|e| StoreError::Other(anyhow::Error::new(e).context("a decision rule")))?;
        parse_conditions(&value).map_err(|problems| {
            StoreError::Other(anyhow::anyhow!(
                "a stored decision rule: {}",
                crate::language::describe(problems)
            ))
        })
    }

    /// Its conditions as they were written.
    pub fn condition_views(&self) -> Vec<ConditionView> {
        serde_json::from_str(&self.conditions).unwrap_or_default()
    }
}

impl Entity for DecisionRuleRecord {
    const TYPE: &'static str = "decision_rule";

    fn keys(&self) -> Keys {
        Keys::table(rule_pk(&self.workflow_type), version_sk(self.version))
    }
}

/// A workflow type's head: the last version made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRuleHead {
    pub workflow_type: String,
    pub latest_version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Entity for DecisionRuleHead {
    const TYPE: &'static str = "decision_rule_head";

    fn keys(&self) -> Keys {
        Keys::table(rule_pk(&self.workflow_type), HEAD_SK).gsi1(
            HEADS_GSI1PK,
            format!("{HEAD_SORT_PREFIX}{}", self.workflow_type),
        )
    }
}

/// The answer given to a decision request, kept for its repeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionAnswerRecord {
    pub request_id: String,
    pub task_id: EntityId,
    pub workflow_type: String,
    /// `TRIGGERED` or `SKIPPED`.
    pub status: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<DecisionOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<EntityId>,
    pub correlation_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
    pub expires_at: i64,
}

impl Entity for DecisionAnswerRecord {
    const TYPE: &'static str = "decision_answer";

    fn keys(&self) -> Keys {
        Keys::table(answer_pk(&self.request_id), ANSWER_SK)
    }
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait DecisionStore {
    fn decision_head(&self, workflow_type: &str) -> impl StoreFuture<Option<DecisionRuleHead>>;

    /// Stores `record`, the version after `before`'s latest (none: the
    /// type's first), moving the head to it, with its event. Another
    /// writer's version in between (or at the same moment) is
    /// `ConditionFailed`.
    fn create_decision_version(
        &self,
        before: Option<&DecisionRuleHead>,
        record: &DecisionRuleRecord,
        event: &Envelope,
    ) -> impl StoreFuture<()>;

    fn decision_version(
        &self,
        workflow_type: &str,
        version: u32,
    ) -> impl StoreFuture<Option<DecisionRuleRecord>>;

    /// Replaces `record` (the next revision of one read at `revision`),
    /// with its event; a concurrent change is `ConditionFailed`.
    fn update_decision_version(
        &self,
        record: &DecisionRuleRecord,
        revision: u64,
        event: &Envelope,
    ) -> impl StoreFuture<()>;

    /// A page of a type's versions, newest first (only active ones when
    /// `active_only`); `after` and the returned key are sort keys.
    fn decision_versions(
        &self,
        workflow_type: &str,
        active_only: bool,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<DecisionRuleRecord>, Option<String>)>;

    /// The highest active version of a type's rule, if any: pages of the
    /// versions (newest first, filtered to the active ones) until one is
    /// found or none is left.
    fn active_decision_rule(
        &self,
        workflow_type: &str,
    ) -> impl StoreFuture<Option<DecisionRuleRecord>>;

    /// A page of the types with decision rules, by name.
    fn decision_heads(
        &self,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<DecisionRuleHead>, Option<String>)>;

    fn decision_answer(&self, request_id: &str) -> impl StoreFuture<Option<DecisionAnswerRecord>>;

    /// Records a decision once: its answer (whose request id must be new:
    /// else, or when another transaction writes it at the same moment,
    /// `ConditionFailed`), its run (if a rule ran) and its event.
    fn record_decision(
        &self,
        answer: &DecisionAnswerRecord,
        run: Option<&RunRecord>,
        event: &Envelope,
    ) -> impl StoreFuture<()>;
}

impl DecisionStore for Store {
    async fn decision_head(
        &self,
        workflow_type: &str,
    ) -> Result<Option<DecisionRuleHead>, StoreError> {
        self.get(rule_pk(workflow_type), HEAD_SK).await
    }

    async fn create_decision_version(
        &self,
        before: Option<&DecisionRuleHead>,
        record: &DecisionRuleRecord,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        let head = DecisionRuleHead {
            workflow_type: record.workflow_type.clone(),
            latest_version: record.version,
            created_at: before.map_or(record.created_at, |b| b.created_at),
            updated_at: record.created_at,
        };
        let head_condition = match before {
            None => ("attribute_not_exists(pk)", Vec::new()),
            Some(before) => (
                "latest_version = :latest",
                vec![(":latest", n(before.latest_version))],
            ),
        };
        let mut tx = Transaction::new();
        let head_item = tx.add(self.put(entity_item(&head)?, Some(head_condition))?);
        let version_item = tx.add(self.put(
            entity_item(record)?,
            Some(("attribute_not_exists(pk)", Vec::new())),
        )?);
        tx.add(self.put(OutboxItem::new(event)?.to_item()?, None)?);
        match self.commit(tx).await {
            Err(error)
                if error.failed(head_item) || error.failed(version_item) || error.is_conflict() =>
            {
                Err(StoreError::ConditionFailed)
            }
            other => other,
        }
    }

    async fn decision_version(
        &self,
        workflow_type: &str,
        version: u32,
    ) -> Result<Option<DecisionRuleRecord>, StoreError> {
        self.get(rule_pk(workflow_type), &version_sk(version)).await
    }

    async fn update_decision_version(
        &self,
        record: &DecisionRuleRecord,
        revision: u64,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        let mut tx = Transaction::new();
        let version_item = tx.add(self.put(
            entity_item(record)?,
            Some((
                "attribute_exists(pk) AND revision = :revision",
                vec![(":revision", n(revision))],
            )),
        )?);
        tx.add(self.put(OutboxItem::new(event)?.to_item()?, None)?);
        match self.commit(tx).await {
            Err(error) if error.failed(version_item) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }

    async fn decision_versions(
        &self,
        workflow_type: &str,
        active_only: bool,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<DecisionRuleRecord>, Option<String>), StoreError> {
        let partition = Partition {
            index: None,
            partition_attribute: "pk",
            sort_attribute: "sk",
            partition: rule_pk(workflow_type),
        };
        let active = Expr::new("is_active = :yes").value(":yes", aws_bool(true));
        let filter = active_only.then_some(&active);
        let (items, next) = self
            .query_merged(
                std::slice::from_ref(&partition),
                VERSION_PREFIX,
                filter,
                limit,
                after,
                true,
            )
            .await?;
        let records = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok((records, next))
    }

    async fn active_decision_rule(
        &self,
        workflow_type: &str,
    ) -> Result<Option<DecisionRuleRecord>, StoreError> {
        let mut after: Option<String> = None;
        loop {
            let (found, next) = self
                .decision_versions(workflow_type, true, 1, after.as_deref())
                .await?;
            match (found.into_iter().next(), next) {
                (Some(rule), _) => return Ok(Some(rule)),
                (None, Some(next)) => after = Some(next),
                (None, None) => return Ok(None),
            }
        }
    }

    async fn decision_heads(
        &self,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<DecisionRuleHead>, Option<String>), StoreError> {
        let partition = Partition {
            index: Some("gsi1"),
            partition_attribute: "gsi1pk",
            sort_attribute: "gsi1sk",
            partition: HEADS_GSI1PK.to_owned(),
        };
        let (items, next) = self
            .query_merged(
                std::slice::from_ref(&partition),
                HEAD_SORT_PREFIX,
                None,
                limit,
                after,
                false,
            )
            .await?;
        let heads = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok((heads, next))
    }

    async fn decision_answer(
        &self,
        request_id: &str,
    ) -> Result<Option<DecisionAnswerRecord>, StoreError> {
        self.get(answer_pk(request_id), ANSWER_SK).await
    }

    async fn record_decision(
        &self,
        answer: &DecisionAnswerRecord,
        run: Option<&RunRecord>,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        let new = || Some(("attribute_not_exists(pk)", Vec::new()));
        let mut tx = Transaction::new();
        let answer_item = tx.add(self.put(entity_item(answer)?, new())?);
        if let Some(run) = run {
            tx.add(self.put(entity_item(run)?, new())?);
        }
        tx.add(self.put(OutboxItem::new(event)?.to_item()?, None)?);
        match self.commit(tx).await {
            Err(error) if error.failed(answer_item) || error.is_conflict() => {
                Err(StoreError::ConditionFailed)
            }
            other => other,
        }
    }
}

fn aws_bool(value: bool) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::Bool(value)
}
