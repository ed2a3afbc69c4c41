//! The DynamoDB layer (DESIGN §3): one [`Store`] over `aws-sdk-dynamodb` and
//! `serde_dynamo` for the single entity table. Access patterns are named
//! functions in the submodules, each a `GetItem` or a `Query` on a key
//! documented in `README.md` beside this file; no request path scans.
//!
//! Storage failures become [`StoreError`] here, and domain errors at the
//! call site: a failed condition is a conflict, a cancelled transaction says
//! which of its items failed and why.

pub mod audit;
pub mod cursor;
pub mod idempotency;
pub mod keys;
pub mod ratelimit;
pub mod schema;
pub mod sessions;
pub mod users;
pub mod workflows;

use crate::error::ApiError;
use anyhow::Context;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub use cursor::CursorKey;

pub type Item = HashMap<String, AttributeValue>;

/// The entity table and the client that reaches it.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
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
pub(crate) fn classify<E>(error: SdkError<E>, what: &'static str) -> StoreError
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

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
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
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, StoreError> {
        let output = self
            .client
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
    pub(crate) fn put(
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

    /// Commits writes atomically. Cancellation reasons come back in item
    /// order so the caller can tell which condition failed.
    #[tracing::instrument(skip_all, fields(table = %self.table, items = items.len()))]
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map(|_| ())
            .map_err(classify_transaction)
    }
}

impl Store {
    /// Stores a new item (its `pk` must be free) and its event atomically.
    pub(crate) async fn insert_with_event(
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
    pub(crate) async fn replace_versioned(
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

    /// Deletes an item that is still at version `expected`, with its event,
    /// atomically. A stale version is `ConditionFailed`.
    pub(crate) async fn delete_versioned(
        &self,
        pk: String,
        sk: &str,
        expected: u64,
        event: &crate::events::Envelope,
    ) -> Result<(), StoreError> {
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(expected))
            .build()
            .context("building a Delete")?;
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.put(crate::events::OutboxItem::new(event)?.to_item()?, None)?,
        ];
        match self.transact(items).await {
            Err(error) if error.failed_condition_at(0) => Err(StoreError::ConditionFailed),
            other => other,
        }
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
    pub(crate) async fn query_page(
        &self,
        query: PageQuery,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let output = self
            .client
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
