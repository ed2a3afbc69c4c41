//! SKUs.
//!
//! Access patterns:
//! - SKU by code: `GetItem pk=SKU#<sku>, sk=SKU`; the key is the SKU, so a
//!   create conditioned on `attribute_not_exists(pk)` is the uniqueness
//!   guard (no scan, no second item)
//! - every SKU, by code: `Query gsi1 gsi1pk=INVENTORY` (`gsi1sk=SKU#<sku>`)
//! - the SKUs low on stock, by code: `Query gsi2 gsi2pk=INVENTORY#LOW`: a
//!   sparse index, as only a SKU marked low has the `gsi2` attributes.
//!   A whole write of the SKU (create, change, adjust) sets the mark from
//!   its stock; a stock move inside another module's transaction (an
//!   order's) updates the quantity alone, and the settle that follows it
//!   moves the mark ([`crate::service::stock`]).

use super::{from_item, n, s, Entity, Expr, Keys, Partition, Store, StoreError, StoreFuture};
use crate::domain::{Sku, SkuName, Stock};
use crate::events::{Envelope, OutboxItem};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub const SKU_SK: &str = "SKU";
const SORT_PREFIX: &str = "SKU#";
const ALL: &str = "INVENTORY";
const LOW: &str = "INVENTORY#LOW";

pub fn sku_pk(sku: &Sku) -> String {
    format!("SKU#{sku}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuRecord {
    pub sku: Sku,
    pub name: SkuName,
    pub quantity: i64,
    /// Minor units (cents).
    pub unit_price: i64,
    pub low_stock_threshold: i64,
    /// Whether the SKU is on the low-stock list (has its `gsi2` keys).
    /// Whole writes set it from the stock; a stock move
    /// ([`crate::service::stock`]) leaves it, and the settle that follows
    /// brings it in line.
    #[serde(default)]
    pub low_stock_marked: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl SkuRecord {
    pub fn stock(&self) -> Stock {
        Stock {
            quantity: self.quantity,
            threshold: self.low_stock_threshold,
        }
    }
}

impl Entity for SkuRecord {
    const TYPE: &'static str = "sku";

    fn keys(&self) -> Keys {
        let sort = sku_pk(&self.sku);
        let keys = Keys::table(sku_pk(&self.sku), SKU_SK).gsi1(ALL, sort.clone());
        if self.low_stock_marked {
            keys.gsi2(LOW, sort)
        } else {
            keys
        }
    }
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait SkuStore {
    fn sku(&self, sku: &Sku) -> impl StoreFuture<Option<SkuRecord>>;

    /// Stores a new SKU with its events; `ConditionFailed` when the code
    /// is taken.
    fn create_sku(&self, record: &SkuRecord, events: &[Envelope]) -> impl StoreFuture<()>;

    /// Replaces the SKU stored at version `expected` with `after` and its
    /// events: `ConditionFailed` when it moved on.
    fn replace_sku(
        &self,
        expected: u64,
        after: &SkuRecord,
        events: &[Envelope],
    ) -> impl StoreFuture<()>;

    /// The update that puts the SKU stored at `record`'s version onto the
    /// low-stock list or takes it off (`low`), for a transaction: its mark
    /// and `gsi2` keys only, so a stock move racing it fails its version
    /// condition rather than being overwritten.
    fn low_stock_mark(
        &self,
        record: &SkuRecord,
        low: bool,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError>;

    /// A page of SKUs by code (only those low on stock when `low`), from
    /// just past the sort key `after`; the key that resumes it.
    fn list_skus(
        &self,
        low: bool,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<SkuRecord>, Option<String>)>;
}

/// The outbox items of every event but the first, which the kernel's
/// versioned writes add themselves.
fn more_events(
    store: &Store,
    events: &[Envelope],
) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>, StoreError> {
    events
        .iter()
        .skip(1)
        .map(|event| store.put(OutboxItem::new(event)?.to_item()?, None))
        .collect()
}

impl SkuStore for Store {
    async fn sku(&self, sku: &Sku) -> Result<Option<SkuRecord>, StoreError> {
        self.get(sku_pk(sku), SKU_SK).await
    }

    async fn create_sku(&self, record: &SkuRecord, events: &[Envelope]) -> Result<(), StoreError> {
        let mut items = vec![self.put(
            record.item()?,
            Some(("attribute_not_exists(pk)", Vec::new())),
        )?];
        for event in events {
            items.push(self.put(OutboxItem::new(event)?.to_item()?, None)?);
        }
        match self.transact(items).await {
            Err(error) if error.failed_condition_at(0) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }

    async fn replace_sku(
        &self,
        expected: u64,
        after: &SkuRecord,
        events: &[Envelope],
    ) -> Result<(), StoreError> {
        let with = more_events(self, events)?;
        self.replace_versioned(after.item()?, expected, with, events.first())
            .await
    }

    fn low_stock_mark(
        &self,
        record: &SkuRecord,
        low: bool,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
        let now = time::format_description::well_known::Rfc3339;
        let text = if low {
            "SET low_stock_marked = :low, gsi2pk = :list, gsi2sk = :sort, \
             version = version + :one, updated_at = :now"
        } else {
            "SET low_stock_marked = :low, version = version + :one, updated_at = :now \
             REMOVE gsi2pk, gsi2sk"
        };
        let mut expression = Expr::new(text)
            .value(":low", AttributeValue::Bool(low))
            .value(":one", n(1))
            .value(":expected", n(record.version))
            .value(
                ":now",
                s(opsflow_platform::clock::now()
                    .format(&now)
                    .unwrap_or_default()),
            );
        if low {
            expression = expression
                .value(":list", s(LOW))
                .value(":sort", s(sku_pk(&record.sku)));
        }
        self.update_if(
            sku_pk(&record.sku),
            SKU_SK,
            &expression,
            "version = :expected",
        )
    }

    async fn list_skus(
        &self,
        low: bool,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<SkuRecord>, Option<String>), StoreError> {
        let partition = if low {
            Partition {
                index: Some("gsi2"),
                partition_attribute: "gsi2pk",
                sort_attribute: "gsi2sk",
                partition: LOW.into(),
            }
        } else {
            Partition {
                index: Some("gsi1"),
                partition_attribute: "gsi1pk",
                sort_attribute: "gsi1sk",
                partition: ALL.into(),
            }
        };
        let (items, next) = self
            .query_merged(
                std::slice::from_ref(&partition),
                SORT_PREFIX,
                None,
                limit,
                after,
                false,
            )
            .await?;
        let records = items
            .into_iter()
            .map(from_item::<SkuRecord>)
            .collect::<Result<_, _>>()?;
        Ok((records, next))
    }
}
