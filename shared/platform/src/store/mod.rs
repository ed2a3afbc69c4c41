//! The DynamoDB layer (DESIGN §3): one [`Store`] over `aws-sdk-dynamodb` and
//! `serde_dynamo` for the single entity table. Access patterns are named
//! functions in the submodules, each a `GetItem` or a `Query` on a key
//! documented in `README.md` beside this file; no request path scans.
//!
//! Storage failures become [`StoreError`] here, and domain errors at the
//! call site: a failed condition is a conflict, a cancelled transaction says
//! which of its items failed and why.

pub mod cursor;
pub mod entity;
pub mod idempotency;
pub mod keys;
pub mod ratelimit;
pub mod schema;
pub mod transaction;

use crate::error::ApiError;
use anyhow::Context;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub use cursor::CursorKey;
pub use entity::{entity_item, Entity, Keys};
pub use transaction::{Transaction, Written};

pub type Item = HashMap<String, AttributeValue>;

/// The entity table and the client that reaches it.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
    /// How long a claimed idempotency key stays in progress.
    idempotency_lease: time::Duration,
}

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A single-item write's condition did not hold.
    #[error("the condition of the write did not hold")]
    ConditionFailed,
    /// A transaction was cancelled; one reason per item, in order
    /// (`"None"`, `"ConditionalCheckFailed"`, `"TransactionConflict"`, …).
    #[error("the transaction was cancelled: {0:?}")]
    TransactionCancelled(Vec<String>),
    /// DynamoDB throttled the request after the SDK's retries.
    #[error("the table is throttling requests")]
    Throttled,
    /// The request's idempotency key was taken over by another run of it
    /// (its lease ran out), so this run's change was not committed.
    #[error("the idempotency key was taken over by another run of the request")]
    LeaseLost,
    /// The change's event would not fit in a queue message
    /// (`events::MAX_ENVELOPE_BYTES`); nothing was written.
    #[error("the event of this change is {bytes} bytes, over the outbox limit")]
    EventTooLarge { bytes: usize },
    /// Anything else; logged, never shown.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl StoreError {
    /// Whether item `index` of a cancelled transaction failed its condition.
    pub fn failed_condition_at(&self, index: usize) -> bool {
        matches!(self, Self::TransactionCancelled(reasons)
            if reasons.get(index).map(String::as_str) == Some("ConditionalCheckFailed"))
    }
}

impl From<StoreError> for ApiError {
    /// A failure the caller did not map itself: conflicts are 409 (the
    /// client may retry on fresh state), throttling 503, the rest 500.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::ConditionFailed => {
                ApiError::Conflict("the resource was changed concurrently; reload and retry".into())
            }
            StoreError::TransactionCancelled(ref reasons)
                if reasons
                    .iter()
                    .any(|r| r == "ConditionalCheckFailed" || r == "TransactionConflict") =>
            {
                ApiError::Conflict("the resource was changed concurrently; reload and retry".into())
            }
            StoreError::Throttled => {
                ApiError::ServiceUnavailable("the service is busy; retry shortly".into())
            }
            StoreError::LeaseLost => ApiError::Conflict(
                "a retry of this request took it over; its outcome is the retry's".into(),
            ),
            StoreError::EventTooLarge { .. } => ApiError::PayloadTooLarge {
                limit: crate::events::MAX_ENVELOPE_BYTES,
            },
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
];

/// Maps an SDK error to a [`StoreError`] by its service error code.
pub fn classify<E>(error: SdkError<E>, what: &'static str) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match error.code() {
        Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
        Some(code) if THROTTLING_CODES.contains(&code) => StoreError::Throttled,
        _ => StoreError::Other(anyhow::Error::new(error).context(what)),
    }
}

fn classify_transaction(error: SdkError<TransactWriteItemsError>) -> StoreError {
    if let SdkError::ServiceError(service) = &error {
        if let TransactWriteItemsError::TransactionCanceledException(cancelled) = service.err() {
            let reasons = cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_owned())
                .collect();
            return StoreError::TransactionCancelled(reasons);
        }
    }
    classify(error, "TransactWriteItems")
}

/// An entity as an item (serde_dynamo, never hand-written maps).
pub fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value)
        .context("encoding an item")
        .map_err(StoreError::Other)
}

/// An item as an entity.
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item)
        .context("decoding an item")
        .map_err(StoreError::Other)
}

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            idempotency_lease: idempotency::DEFAULT_LEASE,
        }
    }

    /// The same store with another idempotency lease (the function's
    /// timeout, from configuration).
    pub fn with_idempotency_lease(mut self, lease: time::Duration) -> Self {
        self.idempotency_lease = lease;
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Whether the table exists and answers (readiness).
    #[tracing::instrument(skip(self), fields(table = %self.table))]
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(e, "DescribeTable"))
    }

    /// A strongly consistent `GetItem` on the primary key.
    pub async fn get<T: DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, StoreError> {
        let output = self
            .client()
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(e, "GetItem"))?;
        output.item.map(from_item).transpose()
    }

    /// A `Put` for use in a transaction, with an optional condition.
    pub fn put(
        &self,
        item: Item,
        condition: Option<(&str, Vec<(&str, AttributeValue)>)>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some((expression, values)) = condition {
            put = put.condition_expression(expression);
            for (name, value) in values {
                put = put.expression_attribute_values(name, value);
            }
        }
        let put = put
            .build()
            .context("building a Put")
            .map_err(StoreError::Other)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// An `Update` for use in a transaction.
    pub fn update(
        &self,
        pk: String,
        sk: &str,
        expression: &Expr,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(&expression.text);
        for (name, attribute) in &expression.names {
            update = update.expression_attribute_names(*name, *attribute);
        }
        for (name, value) in &expression.values {
            update = update.expression_attribute_values(*name, value.clone());
        }
        let update = update
            .build()
            .context("building an Update")
            .map_err(StoreError::Other)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// A `Delete` for use in a transaction, with an optional condition.
    pub fn delete(
        &self,
        pk: String,
        sk: &str,
        condition: Option<&Expr>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk));
        if let Some(condition) = condition {
            delete = delete.condition_expression(&condition.text);
            for (name, attribute) in &condition.names {
                delete = delete.expression_attribute_names(*name, *attribute);
            }
            for (name, value) in &condition.values {
                delete = delete.expression_attribute_values(*name, value.clone());
            }
        }
        let delete = delete
            .build()
            .context("building a Delete")
            .map_err(StoreError::Other)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// A `ConditionCheck` on an item, for use in a transaction.
    pub fn check(
        &self,
        pk: String,
        sk: &str,
        condition: &Expr,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut check = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression(&condition.text);
        for (name, attribute) in &condition.names {
            check = check.expression_attribute_names(*name, *attribute);
        }
        for (name, value) in &condition.values {
            check = check.expression_attribute_values(*name, value.clone());
        }
        let check = check
            .build()
            .context("building a ConditionCheck")
            .map_err(StoreError::Other)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Strongly consistent reads of up to 100 items by primary key, in the
    /// order asked; missing items are left out. Unprocessed keys are asked
    /// again until none remain.
    pub async fn batch_get(&self, keys: Vec<(String, String)>) -> Result<Vec<Item>, StoreError> {
        let wanted: Vec<Item> = keys
            .iter()
            .map(|(pk, sk)| HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))]))
            .collect();
        let mut found: HashMap<(String, String), Item> = HashMap::new();
        let mut pending = wanted;
        for _ in 0..8 {
            if pending.is_empty() {
                break;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .context("building a BatchGetItem")
                .map_err(StoreError::Other)?;
            let output = self
                .client()
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(|e| classify(e, "BatchGetItem"))?;
            for item in output
                .responses
                .and_then(|mut r| r.remove(&self.table))
                .unwrap_or_default()
            {
                let key = (string_attribute(&item, "pk"), string_attribute(&item, "sk"));
                found.insert(key, item);
            }
            pending = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .map(|k| k.keys)
                .unwrap_or_default();
        }
        if !pending.is_empty() {
            return Err(StoreError::Throttled);
        }
        Ok(keys
            .into_iter()
            .filter_map(|key| found.remove(&key))
            .collect())
    }

    /// Commits writes atomically. Cancellation reasons come back in item
    /// order so the caller can tell which condition failed. Inside a
    /// request that holds an idempotency key, the key's commit mark is
    /// appended as the last item (see `idempotency`), so the change and
    /// "this key made its change" commit together.
    #[tracing::instrument(skip_all, fields(table = %self.table, items = items.len()))]
    pub async fn transact(&self, mut items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        let held = idempotency::held_lease();
        if let Some(held) = &held {
            items.push(self.commit_mark(held)?);
        }
        let result = self
            .client()
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(classify_transaction);
        match (result, held) {
            (Ok(_), Some(held)) => {
                held.mark_committed();
                Ok(())
            }
            (Ok(_), None) => Ok(()),
            // The commit mark's reason is the last; the caller's items keep
            // their indices without it. A failed mark: another run of the
            // request took the key over, so this one must not commit.
            (Err(StoreError::TransactionCancelled(mut reasons)), Some(_)) => {
                match reasons.pop().as_deref() {
                    Some("ConditionalCheckFailed") => Err(StoreError::LeaseLost),
                    _ => Err(StoreError::TransactionCancelled(reasons)),
                }
            }
            (Err(error), _) => Err(error),
        }
    }
}

impl Store {
    /// Stores a new item (its `pk` must be free) and its event atomically.
    pub async fn insert_with_event(
        &self,
        item: Item,
        event: &crate::events::Envelope,
    ) -> Result<(), StoreError> {
        let items = vec![
            self.put(item, Some(("attribute_not_exists(pk)", Vec::new())))?,
            self.put(crate::events::OutboxItem::new(event)?.to_item()?, None)?,
        ];
        match self.transact(items).await {
            Err(error) if error.failed_condition_at(0) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }

    /// Commits an event that changes no entity (a client's report of its
    /// own action) to the outbox: one `PutItem` of the event item. Its id
    /// is new, so the put never replaces an event.
    #[tracing::instrument(skip_all, fields(table = %self.table, event_id = %event.id))]
    pub async fn publish_event(&self, event: &crate::events::Envelope) -> Result<(), StoreError> {
        if idempotency::held_lease().is_some() {
            let item = crate::events::OutboxItem::new(event)?.to_item()?;
            let put = self.put(item, Some(("attribute_not_exists(pk)", Vec::new())))?;
            return match self.transact(vec![put]).await {
                // As the plain put says it: the event id is taken.
                Err(error) if error.failed_condition_at(0) => Err(StoreError::ConditionFailed),
                other => other,
            };
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(crate::events::OutboxItem::new(event)?.to_item()?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(e, "PutItem"))
    }

    /// Replaces an item that is still at version `expected`, with its
    /// event, atomically. A stale version is `ConditionFailed`.
    pub async fn replace_versioned(
        &self,
        item: Item,
        expected: u64,
        event: Option<&crate::events::Envelope>,
    ) -> Result<(), StoreError> {
        let condition = Some((
            "attribute_exists(pk) AND version = :expected",
            vec![(":expected", n(expected))],
        ));
        let mut items = vec![self.put(item, condition)?];
        if let Some(event) = event {
            items.push(self.put(crate::events::OutboxItem::new(event)?.to_item()?, None)?);
        }
        match self.transact(items).await {
            Err(error) if error.failed_condition_at(0) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }

    /// Deletes an item that is still at version `expected`, with the
    /// `guards` that must hold with it (items 1…) and its event, atomically.
    /// A stale version is `ConditionFailed`; a failed guard comes back as
    /// the cancelled transaction.
    pub async fn delete_versioned(
        &self,
        pk: String,
        sk: &str,
        expected: u64,
        guards: Vec<TransactWriteItem>,
        event: &crate::events::Envelope,
    ) -> Result<(), StoreError> {
        let version = Expr::new("version = :expected").value(":expected", n(expected));
        let mut items = vec![self.delete(pk, sk, Some(&version))?];
        items.extend(guards);
        items.push(self.put(crate::events::OutboxItem::new(event)?.to_item()?, None)?);
        match self.transact(items).await {
            Err(error) if error.failed_condition_at(0) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }
}

/// An expression with its attribute names (`#x`) and values (`:x`).
#[derive(Debug, Clone, Default)]
pub struct Expr {
    pub text: String,
    pub names: Vec<(&'static str, &'static str)>,
    pub values: Vec<(&'static str, AttributeValue)>,
}

impl Expr {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    pub fn name(mut self, placeholder: &'static str, attribute: &'static str) -> Self {
        self.names.push((placeholder, attribute));
        self
    }

    pub fn value(mut self, placeholder: &'static str, value: AttributeValue) -> Self {
        self.values.push((placeholder, value));
        self
    }

    /// Both conditions (`self AND other`), with both sets of placeholders.
    pub fn and(mut self, other: Expr) -> Self {
        if self.text.is_empty() {
            return other;
        }
        if !other.text.is_empty() {
            self.text = format!("({}) AND ({})", self.text, other.text);
            self.names.extend(other.names);
            self.values.extend(other.values);
        }
        self
    }
}

fn string_attribute(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(value)) => value.clone(),
        _ => String::new(),
    }
}

/// The SDK configuration for an emulator (DynamoDB Local, moto): its
/// endpoint, a region and dummy credentials. Used by the local runtime and
/// the tests, never in a deployed function.
pub async fn emulator_sdk_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "emulator",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// Builds a DynamoDB client from the environment (region, credentials,
/// `AWS_ENDPOINT_URL_DYNAMODB` locally). Call once at cold start.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

/// One page of a `Query` on a partition, newest (highest sort key) first.
#[derive(Debug)]
pub struct PageQuery {
    /// `None` for the table itself, or an index name from `schema::INDEXES`.
    pub index: Option<&'static str>,
    pub partition_attribute: &'static str,
    pub partition: String,
    pub limit: i32,
    pub start: Option<Item>,
}

impl Store {
    /// Runs a page query. It asks for one item more than the page so that
    /// `next` is `None` exactly when nothing follows; `next` is the key of
    /// the page's last item (table and index key attributes).
    #[tracing::instrument(skip(self, query), fields(table = %self.table, index = ?query.index))]
    pub async fn query_page(
        &self,
        query: PageQuery,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let output = self
            .client()
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.map(str::to_owned))
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", query.partition_attribute)
            .expression_attribute_values(":pk", s(query.partition))
            .scan_index_forward(false)
            .limit(query.limit + 1)
            .set_exclusive_start_key(query.start)
            .send()
            .await
            .map_err(|e| classify(e, "Query"))?;
        let mut items = output.items.unwrap_or_default();
        let limit = usize::try_from(query.limit).unwrap_or(0);
        if items.len() <= limit {
            return Ok((items, None));
        }
        items.truncate(limit);
        let mut key_attributes = vec!["pk", "sk"];
        if let Some((_, pk, sk)) = schema::INDEXES
            .iter()
            .find(|(name, _, _)| Some(*name) == query.index)
        {
            key_attributes.extend([*pk, *sk]);
        }
        let next = items.last().map(|last| {
            key_attributes
                .iter()
                .filter_map(|name| last.get(*name).map(|v| ((*name).to_owned(), v.clone())))
                .collect()
        });
        Ok((items, next))
    }
}

/// One partition of a [`Store::query_merged`] listing: a key on the table
/// or an index whose sort keys share a prefix.
#[derive(Debug, Clone)]
pub struct Partition {
    pub index: Option<&'static str>,
    pub partition_attribute: &'static str,
    pub sort_attribute: &'static str,
    pub partition: String,
}

/// How many `Query` rounds a partition may take to fill a filtered page.
const MAX_ROUNDS: usize = 8;

/// One partition's share of a merged page: its matches (newest first) and
/// how far down it was read (`None`: to its end).
struct Share {
    matches: Vec<(String, Item)>,
    frontier: Option<String>,
}

impl Store {
    /// A page of items from one or more partitions, merged by sort key
    /// (highest first when `descending`, else lowest first): every partition
    /// is read from just past `after` (a sort key; the whole prefix when
    /// `None`) with `filter` applied, in rounds until it has more than
    /// `limit` matches or ends. The page holds only items before every
    /// unfinished partition's frontier, so nothing is skipped; the returned
    /// sort key resumes the listing (`None` at the end). An item found in
    /// two partitions appears once.
    #[tracing::instrument(skip(self, partitions, filter), fields(table = %self.table, partitions = partitions.len()))]
    pub async fn query_merged(
        &self,
        partitions: &[Partition],
        prefix: &'static str,
        filter: Option<&Expr>,
        limit: usize,
        after: Option<&str>,
        descending: bool,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let shares =
            futures::future::try_join_all(partitions.iter().map(|partition| {
                self.read_share(partition, prefix, filter, limit, after, descending)
            }))
            .await?;
        let frontiers = shares.iter().filter_map(|s| s.frontier.clone());
        let cut = if descending {
            frontiers.max()
        } else {
            frontiers.min()
        };
        let before_cut = |sort: &String| match &cut {
            None => true,
            Some(cut) if descending => sort >= cut,
            Some(cut) => sort <= cut,
        };
        let mut candidates: Vec<(String, Item)> = shares
            .into_iter()
            .flat_map(|share| share.matches)
            .filter(|(sort, _)| before_cut(sort))
            .collect();
        if descending {
            candidates.sort_by(|a, b| b.0.cmp(&a.0));
        } else {
            candidates.sort_by(|a, b| a.0.cmp(&b.0));
        }
        candidates.dedup_by(|a, b| a.0 == b.0);
        if candidates.len() > limit {
            candidates.truncate(limit);
            let next = candidates.last().map(|(sort, _)| sort.clone());
            return Ok((candidates.into_iter().map(|(_, item)| item).collect(), next));
        }
        Ok((candidates.into_iter().map(|(_, item)| item).collect(), cut))
    }

    async fn read_share(
        &self,
        partition: &Partition,
        prefix: &'static str,
        filter: Option<&Expr>,
        limit: usize,
        after: Option<&str>,
        descending: bool,
    ) -> Result<Share, StoreError> {
        // Past `after` within the prefix: below it when descending, above
        // it (up to the highest key with the prefix) when ascending.
        let upper = format!("{prefix}\u{10FFFF}");
        let mut matches = Vec::new();
        let mut start: Option<Item> = None;
        for _ in 0..MAX_ROUNDS {
            let mut query = self
                .client()
                .query()
                .table_name(&self.table)
                .set_index_name(partition.index.map(str::to_owned))
                .expression_attribute_names("#pk", partition.partition_attribute)
                .expression_attribute_names("#sk", partition.sort_attribute)
                .expression_attribute_values(":pk", s(&partition.partition))
                .scan_index_forward(!descending)
                .consistent_read(partition.index.is_none())
                .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            query = match after {
                Some(after) if descending => query
                    .key_condition_expression("#pk = :pk AND #sk BETWEEN :prefix AND :after")
                    .expression_attribute_values(":prefix", s(prefix))
                    .expression_attribute_values(":after", s(after)),
                Some(after) => query
                    .key_condition_expression("#pk = :pk AND #sk BETWEEN :after AND :upper")
                    .expression_attribute_values(":after", s(after))
                    .expression_attribute_values(":upper", s(&upper)),
                None => query
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                    .expression_attribute_values(":prefix", s(prefix)),
            };
            if let Some(filter) = filter {
                query = query.filter_expression(&filter.text);
                for (name, attribute) in &filter.names {
                    query = query.expression_attribute_names(*name, *attribute);
                }
                for (name, value) in &filter.values {
                    query = query.expression_attribute_values(*name, value.clone());
                }
            }
            let output = query.send().await.map_err(|e| classify(e, "Query"))?;
            for item in output.items.unwrap_or_default() {
                let sort = string_attribute(&item, partition.sort_attribute);
                if Some(sort.as_str()) != after {
                    matches.push((sort, item));
                }
            }
            start = output.last_evaluated_key;
            if matches.len() > limit || start.is_none() {
                break;
            }
        }
        let frontier = if matches.len() > limit {
            matches.truncate(limit + 1);
            matches.last().map(|(sort, _)| sort.clone())
        } else {
            start.map(|key| string_attribute(&key, partition.sort_attribute))
        };
        Ok(Share { matches, frontier })
    }
}
