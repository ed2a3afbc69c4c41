//! Stock moved inside another module's transaction: an order takes its
//! lines' units in the same `TransactWriteItems` as the order and its
//! event, and gives them back when it is cancelled.
//!
//! Invariant: stock never goes below zero, whatever the concurrency. Each
//! move is one conditional update of the SKU's quantity (`quantity >=
//! units` to take, room below the maximum to give back), so DynamoDB
//! itself refuses the move that would oversell; no version is read first,
//! so racing orders never refuse each other while stock is left. The
//! transaction is all or nothing: one short SKU cancels every move in it,
//! and [`Moves::short`] names the short ones.
//!
//! A move changes the quantity only. The SKU's low-stock mark follows in
//! [`settle`], which the caller runs once the transaction has committed:
//! it puts the SKU on (or takes it off) the low-stock list and emits
//! `inventory.low_stock` when it goes on and `inventory.low_stock_cleared`
//! when it comes off, once per crossing. Should the
//! caller stop between the two, the list lags until that SKU's next
//! change settles it.

use super::{crossing, InventoryError};
use crate::domain::{Sku, MAX_QUANTITY};
use crate::events::{Actor, Envelope, OutboxItem};
use crate::store::skus::{sku_pk, SKU_SK};
use crate::store::transaction::Item;
use crate::store::{n, s, Expr, SkuStore, Store, StoreError, Transaction};
use opsflow_platform::clock;
use time::format_description::well_known::Rfc3339;

/// How often [`settle`] tries against a SKU that keeps changing.
const SETTLE_ATTEMPTS: u32 = 20;

/// The moves of one transaction, by SKU.
#[derive(Debug, Default)]
pub struct Moves {
    items: Vec<(Sku, Item)>,
}

impl Moves {
    /// The SKUs whose move cancelled `error`'s transaction: not enough
    /// units (or no such SKU).
    pub fn short(&self, error: &StoreError) -> Vec<Sku> {
        self.items
            .iter()
            .filter(|(_, item)| error.failed(*item))
            .map(|(sku, _)| sku.clone())
            .collect()
    }
}

/// Adds to `tx` a move of `delta` units (negative: taken) of each SKU.
pub fn add_moves(
    store: &Store,
    tx: &mut Transaction,
    moves: &[(Sku, i64)],
) -> Result<Moves, StoreError> {
    let now = clock::now().format(&Rfc3339).unwrap_or_default();
    let mut added = Moves::default();
    for (sku, delta) in moves {
        let condition = if *delta < 0 {
            "attribute_exists(pk) AND quantity >= :need"
        } else {
            "attribute_exists(pk) AND quantity <= :room"
        };
        let bound = if *delta < 0 {
            (":need", n(-delta))
        } else {
            (":room", n(MAX_QUANTITY - delta))
        };
        let expression = Expr::new(
            "SET quantity = quantity + :delta, version = version + :one, updated_at = :now",
        )
        .value(":delta", n(*delta))
        .value(":one", n(1))
        .value(":now", s(now.clone()))
        .value(bound.0, bound.1);
        let item = store.update_if(sku_pk(sku), SKU_SK, &expression, condition)?;
        added.items.push((sku.clone(), tx.add(item)));
    }
    Ok(added)
}

/// Brings `sku`'s low-stock mark in line with its stock after a move,
/// emitting `inventory.low_stock` (caused by `cause`) when it goes onto
/// the list and `inventory.low_stock_cleared` when it comes off. It writes the mark alone, over the version it read, and
/// tries again (backing off) while orders keep moving the stock.
pub async fn settle(
    store: &Store,
    sku: &Sku,
    actor: &Actor,
    cause: &Envelope,
) -> Result<(), InventoryError> {
    for attempt in 0..SETTLE_ATTEMPTS {
        if attempt > 0 {
            clock::pause(3 * u64::from(attempt), 10).await;
        }
        let Some(record) = store.sku(sku).await? else {
            return Ok(());
        };
        let low = record.stock().is_low();
        if record.low_stock_marked == low {
            return Ok(());
        }
        let mut items = vec![store.low_stock_mark(&record, low)?];
        let mut after = record.clone();
        after.low_stock_marked = low;
        after.version += 1;
        if let Some(event) = crossing(actor, cause, &record, &after) {
            items.push(store.put(OutboxItem::new(&event)?.to_item()?, None)?);
        }
        match store.transact(items).await {
            Ok(()) => return Ok(()),
            Err(error) if error.failed_condition_at(0) || error.is_conflict() => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(InventoryError::Stale)
}
