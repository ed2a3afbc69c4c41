//! The inventory module's use cases: the only writer of SKUs (stock moves
//! inside other modules' transactions: [`stock`]). Each change
//! commits with its event and, when it takes the SKU below its threshold,
//! the `inventory.low_stock` event (back to it or above:
//! `inventory.low_stock_cleared`), in one transaction over the version
//! read: no two changes both apply to one version, so stock is exact. An
//! adjustment that lost a race reads the SKU again and retries (12 times,
//! backing off); one that loses every time is a 409 the client may retry.

use crate::domain::{clears_low, marks_low, Reason, Shortfall, Sku, SkuName};
use crate::events::{self, Actor, Envelope};
use crate::store::{SkuRecord, SkuStore, Store, StoreError};
use crate::view::sku_data;
use opsflow_platform::clock;
use opsflow_platform::error::ApiError;
use serde_json::json;

pub mod stock;

/// How often an adjustment is tried against fresh stock, each a little
/// later than the one before (with jitter, so racing writers spread out).
const ADJUST_ATTEMPTS: u32 = 12;

/// Why an inventory use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// 404: no such SKU.
    #[error("no such SKU")]
    NotFound,
    /// 409: a SKU with this code exists.
    #[error("SKU {0} already exists")]
    Duplicate(Sku),
    /// 409: the adjustment would take the stock below zero.
    #[error("SKU {sku} has {quantity} units; {short} more are needed")]
    Insufficient { sku: Sku, quantity: i64, short: i64 },
    /// 422: the adjustment would take the stock past the maximum.
    #[error("the quantity would exceed {}", crate::domain::MAX_QUANTITY)]
    TooMuch,
    /// 409: the SKU changed since it was read.
    #[error("the SKU was changed concurrently; reload and retry")]
    Stale,
    /// The store failed (its own status: 409, 503 or 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<InventoryError> for ApiError {
    fn from(error: InventoryError) -> Self {
        match error {
            InventoryError::NotFound => ApiError::NotFound(error.to_string()),
            InventoryError::TooMuch => ApiError::invalid_field("delta", error.to_string()),
            InventoryError::Duplicate(_)
            | InventoryError::Insufficient { .. }
            | InventoryError::Stale => ApiError::Conflict(error.to_string()),
            InventoryError::Store(error) => error.into(),
        }
    }
}

/// A new SKU as an admin describes it.
#[derive(Debug, Clone)]
pub struct NewSku {
    pub sku: Sku,
    pub name: SkuName,
    pub quantity: i64,
    pub unit_price: i64,
    pub low_stock_threshold: i64,
}

/// The fields of a SKU a change may set (its stock moves by adjustments
/// only, so that each move has a reason).
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub name: Option<SkuName>,
    pub unit_price: Option<i64>,
    pub low_stock_threshold: Option<i64>,
}

/// The fields whose change an `inventory.updated` event names.
const CHANGEABLE: [&str; 3] = ["name", "unit_price", "low_stock_threshold"];

fn event(event_type: &str, actor: &Actor, correlation_id: &str, record: &SkuRecord) -> Envelope {
    Envelope::new(
        event_type,
        events::SKU,
        record.sku.as_str(),
        actor.clone(),
        correlation_id,
        sku_data(record),
    )
}

/// The low-stock event a change from `before` to `after` causes, if it
/// takes the SKU onto the low-stock list or off it.
fn crossing(
    actor: &Actor,
    cause: &Envelope,
    before: &SkuRecord,
    after: &SkuRecord,
) -> Option<Envelope> {
    let event_type = if marks_low(before.low_stock_marked, after.stock()) {
        events::INVENTORY_LOW_STOCK
    } else if clears_low(before.low_stock_marked, after.stock()) {
        events::INVENTORY_LOW_STOCK_CLEARED
    } else {
        return None;
    };
    let crossed = event(event_type, actor, &cause.correlation_id, after);
    Some(crossed.change("quantity", None::<i64>, Some(after.quantity)))
}

fn stale_on_condition(error: StoreError) -> InventoryError {
    match error {
        StoreError::ConditionFailed => InventoryError::Stale,
        other => InventoryError::Store(other),
    }
}

/// SKU `sku`.
pub async fn sku(store: &Store, sku: &Sku) -> Result<SkuRecord, InventoryError> {
    store.sku(sku).await?.ok_or(InventoryError::NotFound)
}

/// Stores a new SKU (its code must be free).
pub async fn create(
    store: &Store,
    actor: &Actor,
    correlation_id: &str,
    new: NewSku,
) -> Result<SkuRecord, InventoryError> {
    let now = clock::now();
    let record = SkuRecord {
        sku: new.sku,
        name: new.name,
        quantity: new.quantity,
        unit_price: new.unit_price,
        low_stock_threshold: new.low_stock_threshold,
        low_stock_marked: false,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let unmarked = record.clone();
    let mut record = record;
    // Created below its threshold: on the low-stock list from the start.
    record.low_stock_marked = marks_low(false, record.stock());
    let created = event(events::INVENTORY_CREATED, actor, correlation_id, &record);
    let crossed = crossing(actor, &created, &unmarked, &record);
    let all: Vec<Envelope> = std::iter::once(created).chain(crossed).collect();
    match store.create_sku(&record, &all).await {
        Err(StoreError::ConditionFailed) => Err(InventoryError::Duplicate(record.sku)),
        other => other.map(|()| record).map_err(Into::into),
    }
}

/// Sets `changes` on `record` (as read), if it is still at that version.
pub async fn update(
    store: &Store,
    actor: &Actor,
    correlation_id: &str,
    record: &SkuRecord,
    changes: Changes,
) -> Result<SkuRecord, InventoryError> {
    let mut after = record.clone();
    if let Some(name) = changes.name {
        after.name = name;
    }
    if let Some(price) = changes.unit_price {
        after.unit_price = price;
    }
    if let Some(threshold) = changes.low_stock_threshold {
        after.low_stock_threshold = threshold;
    }
    after.low_stock_marked = after.stock().is_low();
    after.version += 1;
    after.updated_at = clock::now();
    let updated = event(events::INVENTORY_UPDATED, actor, correlation_id, &after).changes_between(
        &sku_data(record),
        &sku_data(&after),
        &CHANGEABLE,
    );
    let crossed = crossing(actor, &updated, record, &after);
    let all: Vec<Envelope> = std::iter::once(updated).chain(crossed).collect();
    store
        .replace_sku(record.version, &after, &all)
        .await
        .map_err(stale_on_condition)?;
    Ok(after)
}

/// [`update`] of the SKU as it is now (the client pinned no version):
/// read again and retried while orders keep moving its stock, which bumps
/// its version but leaves name, price and threshold alone.
pub async fn update_current(
    store: &Store,
    actor: &Actor,
    correlation_id: &str,
    sku: &Sku,
    changes: Changes,
) -> Result<SkuRecord, InventoryError> {
    for attempt in 0..ADJUST_ATTEMPTS {
        if attempt > 0 {
            clock::pause(5 * u64::from(attempt), 10).await;
        }
        let record = self::sku(store, sku).await?;
        match update(store, actor, correlation_id, &record, changes.clone()).await {
            Err(InventoryError::Stale) => continue,
            Err(InventoryError::Store(error)) if error.is_conflict() => continue,
            other => return other,
        }
    }
    Err(InventoryError::Stale)
}

/// Moves the stock of `sku` by `delta` units for `reason`, never below
/// zero; the SKU after.
pub async fn adjust(
    store: &Store,
    actor: &Actor,
    correlation_id: &str,
    sku: &Sku,
    delta: i64,
    reason: &Reason,
) -> Result<SkuRecord, InventoryError> {
    for attempt in 0..ADJUST_ATTEMPTS {
        if attempt > 0 {
            clock::pause(5 * u64::from(attempt), 10).await;
        }
        let record = self::sku(store, sku).await?;
        let stock = record
            .stock()
            .adjusted(delta)
            .map_err(|shortfall| match shortfall {
                Shortfall::Below(short) => InventoryError::Insufficient {
                    sku: sku.clone(),
                    quantity: record.quantity,
                    short,
                },
                Shortfall::Above => InventoryError::TooMuch,
            })?;
        let mut after = record.clone();
        after.quantity = stock.quantity;
        after.low_stock_marked = stock.is_low();
        after.version += 1;
        after.updated_at = clock::now();
        let mut data = sku_data(&after);
        data["delta"] = json!(delta);
        data["reason"] = json!(reason.as_str());
        let adjusted = Envelope::new(
            events::INVENTORY_ADJUSTED,
            events::SKU,
            sku.as_str(),
            actor.clone(),
            correlation_id,
            data,
        )
        .change("quantity", record.quantity, after.quantity);
        let crossed = crossing(actor, &adjusted, &record, &after);
        let all: Vec<Envelope> = std::iter::once(adjusted).chain(crossed).collect();
        match store.replace_sku(record.version, &after, &all).await {
            Ok(()) => return Ok(after),
            Err(StoreError::ConditionFailed) => continue,
            Err(error) if error.is_conflict() => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(InventoryError::Stale)
}
