//! Automation rules.
//!
//! Access patterns:
//! - rule by id: `GetItem pk=RULE#<id>, sk=RULE`
//! - all rules, newest first: `Query gsi1 gsi1pk=RULES` (descending)
//! - enabled (or disabled) rules in priority order: `Query gsi2
//!   gsi2pk=RULES#ENABLED` (ascending `RULE#<priority>#<id>`), which is how
//!   the runner reads the rules it applies
//! - a trigger filter on either listing is a `FilterExpression` on
//!   `trigger`
//!
//! The rule itself is kept as its JSON text (`definition`) and read back
//! through [`RuleSpec`]'s parser, so a stored rule is always one that
//! evaluates, and no operand of a condition (an empty object, say) has to
//! become a DynamoDB type. Writes carry their event (outbox) and, after
//! creation, the version they expect.

use super::{
    entity_item, from_item, keys, s, Entity, Expr, Keys, Partition, Store, StoreError, StoreFuture,
};
use crate::domain::EntityId;
use crate::events::Envelope;
use crate::language::RuleSpec;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRecord {
    pub id: EntityId,
    /// Copied from the definition for filters.
    trigger: String,
    /// Copied from the definition: they place the rule in `gsi2`. (Rules
    /// stored before they were copied read as defaults; every write sets
    /// them from the definition.)
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    priority: u16,
    /// The rule, as JSON text.
    definition: String,
    pub created_by: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl RuleRecord {
    pub fn new(
        spec: &RuleSpec,
        created_by: EntityId,
        now: OffsetDateTime,
    ) -> Result<Self, StoreError> {
        let id = EntityId::new();
        let mut record = Self {
            id,
            trigger: String::new(),
            enabled: false,
            priority: 0,
            definition: String::new(),
            created_by,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        record.set_spec(spec)?;
        Ok(record)
    }

    /// The rule, checked again on the way out of storage.
    pub fn spec(&self) -> Result<RuleSpec, StoreError> {
        serde_json::from_str(&self.definition)
            .map_err(|e| StoreError::Other(anyhow::Error::new(e).context("a stored rule")))
    }

    /// Replaces the definition and what is copied from it.
    pub fn set_spec(&mut self, spec: &RuleSpec) -> Result<(), StoreError> {
        self.definition = serde_json::to_string(spec).map_err(|e| StoreError::Other(e.into()))?;
        self.trigger = spec.trigger().to_string();
        self.enabled = spec.enabled();
        self.priority = spec.priority();
        Ok(())
    }
}

/// `gsi1`: every rule in id order; `gsi2`: the enabled (or disabled) rules
/// in priority order.
impl Entity for RuleRecord {
    const TYPE: &'static str = "rule";

    fn keys(&self) -> Keys {
        Keys::table(keys::rule_pk(&self.id), keys::RULE_SK)
            .gsi1(keys::RULES_GSI1PK, keys::rule_gsi1sk(&self.id))
            .gsi2(
                keys::rules_by_state_gsi2pk(self.enabled),
                keys::rule_gsi2sk(self.priority, &self.id),
            )
    }
}

opsflow_platform::versioned!(RuleRecord);

/// Which rules a listing reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    pub enabled: Option<bool>,
    pub trigger: Option<String>,
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait RuleStore {
    fn create_rule(&self, record: &RuleRecord, event: &Envelope) -> impl StoreFuture<()>;

    fn rule_by_id(&self, id: &EntityId) -> impl StoreFuture<Option<RuleRecord>>;

    /// Replaces a rule still at its current version (advancing version and
    /// `updated_at`), with its event.
    fn update_rule(
        &self,
        record: &mut RuleRecord,
        now: OffsetDateTime,
        event: &Envelope,
    ) -> impl StoreFuture<()>;

    fn delete_rule(&self, record: &RuleRecord, event: &Envelope) -> impl StoreFuture<()>;

    /// A page of rules: newest first, or, for one state, in priority order.
    /// `after` and the returned key are index sort keys.
    fn list_rules(
        &self,
        filter: &RuleFilter,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<RuleRecord>, Option<String>)>;

    /// Every enabled rule, in the order they apply (ascending priority).
    fn enabled_rules(&self) -> impl StoreFuture<Vec<RuleRecord>>;
}

impl RuleStore for Store {
    async fn create_rule(&self, record: &RuleRecord, event: &Envelope) -> Result<(), StoreError> {
        self.insert_with_event(entity_item(record)?, event).await
    }

    async fn rule_by_id(&self, id: &EntityId) -> Result<Option<RuleRecord>, StoreError> {
        self.get(keys::rule_pk(id), keys::RULE_SK).await
    }

    async fn update_rule(
        &self,
        record: &mut RuleRecord,
        now: OffsetDateTime,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        self.replace_next_version(record, now, Some(event)).await
    }

    async fn delete_rule(&self, record: &RuleRecord, event: &Envelope) -> Result<(), StoreError> {
        self.delete_versioned(
            keys::rule_pk(&record.id),
            keys::RULE_SK,
            record.version,
            Vec::new(),
            event,
        )
        .await
    }

    async fn list_rules(
        &self,
        filter: &RuleFilter,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<RuleRecord>, Option<String>), StoreError> {
        let partition = match filter.enabled {
            None => Partition {
                index: Some("gsi1"),
                partition_attribute: "gsi1pk",
                sort_attribute: "gsi1sk",
                partition: keys::RULES_GSI1PK.into(),
            },
            Some(enabled) => Partition {
                index: Some("gsi2"),
                partition_attribute: "gsi2pk",
                sort_attribute: "gsi2sk",
                partition: keys::rules_by_state_gsi2pk(enabled),
            },
        };
        let condition = filter.trigger.as_ref().map(|trigger| {
            Expr::new("#trigger = :trigger")
                .name("#trigger", "trigger")
                .value(":trigger", s(trigger.as_str()))
        });
        let ascending = filter.enabled.is_some();
        let (items, next) = self
            .query_merged(
                std::slice::from_ref(&partition),
                keys::RULE_SORT_PREFIX,
                condition.as_ref(),
                limit,
                after,
                !ascending,
            )
            .await?;
        let records = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok((records, next))
    }

    async fn enabled_rules(&self) -> Result<Vec<RuleRecord>, StoreError> {
        let filter = RuleFilter {
            enabled: Some(true),
            trigger: None,
        };
        let mut rules = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, next) = self.list_rules(&filter, 100, after.as_deref()).await?;
            rules.extend(page);
            match next {
                Some(next) => after = Some(next),
                None => return Ok(rules),
            }
        }
    }
}
