//! The DynamoDB layer (DESIGN §3): one [`Store`] over `aws-sdk-dynamodb` and
//! `serde_dynamo` for the single entity table. Access patterns are named
//! functions in the submodules, each a `GetItem` or a `Query` on a key
//! documented in `README.md` beside this file; no request path scans.
//!
//! Storage failures become [`StoreError`] here, and domain errors at the
//! call site: a failed condition is a conflict, a cancelled transaction says
//! which of its items failed and why.

pub mod batch;
pub mod config;
pub mod cursor;
pub mod entity;
mod error;
mod expr;
pub mod idempotency;
pub mod keys;
pub mod migrate;
mod query;
pub mod ratelimit;
pub mod schema;
mod session_write;
pub mod transaction;
mod write;

use anyhow::Context;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub use config::{client, emulator_sdk_config, sdk_config};
pub use cursor::CursorKey;
pub use entity::{entity_item, Entity, Keys, Versioned, SCHEMA_ATTRIBUTE};
pub use error::{classify, StoreError};
pub use expr::Expr;
pub use query::{PageQuery, Partition, SortCondition, SortRange};
pub use transaction::{Transaction, Written};

pub type Item = HashMap<String, AttributeValue>;

/// What the access patterns of a module's store trait return: a storage
/// call to await, which may move between threads. (Written once, so each
/// method's declaration says only what it yields.)
pub trait StoreFuture<T, E = StoreError>:
    std::future::Future<Output = Result<T, E>> + Send
{
}

impl<T, E, F> StoreFuture<T, E> for F where F: std::future::Future<Output = Result<T, E>> + Send {}

/// The entity table and the client that reaches it.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
    /// How long a claimed idempotency key stays in progress.
    idempotency_lease: time::Duration,
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

    /// An `UpdateItem` of the item at (`pk`, `sk`), for the caller to
    /// give its expressions and send.
    pub fn update_at(&self, pk: impl Into<String>, sk: &str) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
    }

    /// A strongly consistent `GetItem` on the primary key.
    pub async fn get<T: DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, StoreError> {
        self.get_item(pk, sk).await?.map(from_item).transpose()
    }

    /// [`Store::get`], as the item itself (for a caller that reads it as
    /// two types). Inside a request's read window it joins the window's
    /// batch ([`batch`]).
    pub async fn get_item(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        if let Some(shared) = batch::join(self, &pk, sk) {
            if let Ok(batch::Shared::Found(item)) = shared.await {
                return Ok(item);
            }
        }
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
        Ok(output.item)
    }
}

/// An item's string attribute (empty when absent or not a string).
fn string_attribute(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(value)) => value.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yields<T, E>(future: impl StoreFuture<T, E>) -> impl StoreFuture<T, E> {
        future
    }

    #[tokio::test]
    async fn any_sendable_storage_call_is_a_store_future() {
        assert_eq!(yields(async { Ok::<_, StoreError>(7) }).await.unwrap(), 7);
        let refused = yields(async { Err::<(), _>(StoreError::ConditionFailed) }).await;
        assert!(matches!(refused, Err(StoreError::ConditionFailed)));
        let other = yields(async { Err::<(), _>("its own error") }).await;
        assert_eq!(other, Err("its own error"));
    }
}
