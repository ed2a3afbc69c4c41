//! The orders module's use cases: the only writer of orders. Each commits
//! the order, its event, its timeline entry and the stock its lines move
//! in one transaction, so an order exists exactly when its stock was
//! taken: stock never oversells ([`opsflow_inventory::service::stock`]).
//! A transaction that lost a race on a SKU with another order is tried
//! again (only a SKU short of units refuses an order). Once committed, the
//! SKUs' low-stock marks are settled.

use crate::domain::{
    line_total, may_move, next, stock_effect, LineRequest, Notes, OrderStatus, StockEffect,
};
use crate::events::{self, Actor, Envelope, OutboxItem};
use crate::store::{
    OrderLine, OrderRecord, OrderStore, Store, StoreError, TimelineEntry, Transaction,
};
use crate::view::order_data;
use opsflow_inventory::domain::Sku;
use opsflow_inventory::service::stock::{add_moves, settle};
use opsflow_platform::auth::Principal;
use opsflow_platform::clock;
use opsflow_platform::domain::EntityId;

use serde_json::{json, Map, Value};

mod error;
pub mod holds;

pub use error::OrdersError;

/// How often a transaction that lost a race with another is tried.
const ATTEMPTS: u64 = 60;

/// Order `id`, if `principal` may see it (its owner, admins).
pub async fn order_for(
    store: &Store,
    principal: &Principal,
    id: &EntityId,
) -> Result<OrderRecord, OrdersError> {
    let record = store.order_by_id(id).await?.ok_or(OrdersError::NotFound)?;
    if record.user_id != principal.user_id && !principal.can(crate::permissions::ORDERS_MANAGE) {
        return Err(OrdersError::NotFound);
    }
    Ok(record)
}

/// A change's event and its timeline entry.
pub(crate) fn recorded(
    event_type: &str,
    kind: &str,
    actor: &Actor,
    correlation_id: &str,
    record: &OrderRecord,
    changes: Map<String, Value>,
) -> (Envelope, TimelineEntry) {
    let mut event = Envelope::new(
        event_type,
        events::ORDER,
        record.id,
        actor.clone(),
        correlation_id,
        order_data(record),
    );
    event.changes = changes.clone();
    let entry = timeline_entry(kind, &event, changes);
    (event, entry)
}

/// The timeline entry of order event `event`.
pub(crate) fn timeline_entry(
    kind: &str,
    event: &Envelope,
    changes: Map<String, Value>,
) -> TimelineEntry {
    TimelineEntry {
        order_id: EntityId::parse(&event.entity_id).unwrap_or_default(),
        kind: kind.into(),
        event_id: event.id,
        changes: Value::Object(changes),
        actor_id: event.actor.id.clone(),
        actor_role: event.actor.role.clone(),
        at: event.occurred_at,
    }
}

/// Commits `order` (built by `order_item`), its event, its timeline entry
/// and `moves`, trying again while it loses races on its SKUs.
pub(crate) async fn commit(
    store: &Store,
    order_item: impl Fn() -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError>,
    event: &Envelope,
    entry: &TimelineEntry,
    moves: &[(Sku, i64)],
) -> Result<(), OrdersError> {
    for attempt in 0..ATTEMPTS {
        let mut tx = Transaction::new();
        let order = tx.add(order_item()?);
        tx.add(store.timeline_entry(entry)?);
        tx.add(store.put(OutboxItem::new(event)?.to_item()?, None)?);
        let added = add_moves(store, &mut tx, moves)?;
        let error = match store.commit(tx).await {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        if error.failed(order) {
            return Err(OrdersError::Stale);
        }
        let short = added.short(&error);
        if !short.is_empty() {
            return Err(OrdersError::OutOfStock(short));
        }
        let raced = error.is_conflict() || matches!(error, StoreError::Throttled);
        if !raced {
            return Err(error.into());
        }
        clock::pause(2 + (attempt % 10) * 3, 7).await;
    }
    Err(OrdersError::Busy)
}

/// Brings the low-stock marks of the moved SKUs in line, side by side (a
/// failure only delays the list until the SKU's next change).
async fn settle_all(store: &Store, moves: &[(Sku, i64)], actor: &Actor, cause: &Envelope) {
    let settles = moves.iter().map(|(sku, _)| async move {
        if let Err(error) = settle(store, sku, actor, cause).await {
            tracing::warn!(%sku, %error, "low-stock mark left for the next change");
        }
    });
    futures::future::join_all(settles).await;
}

/// Places an order of `lines` for `principal`, priced from the inventory,
/// taking its stock.
pub async fn place(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    lines: Vec<LineRequest>,
    notes: Notes,
) -> Result<OrderRecord, OrdersError> {
    let found = futures::future::join_all(
        lines
            .iter()
            .map(|line| opsflow_inventory::service::sku(store, &line.sku)),
    )
    .await;
    let mut priced = Vec::new();
    let mut unknown = Vec::new();
    for (index, (line, found)) in lines.iter().zip(found).enumerate() {
        match found {
            Ok(sku) => {
                let line_total =
                    line_total(line.quantity, sku.unit_price).ok_or(OrdersError::TooLarge)?;
                priced.push(OrderLine {
                    sku: line.sku.clone(),
                    name: sku.name.as_str().to_owned(),
                    quantity: line.quantity,
                    unit_price: sku.unit_price,
                    line_total,
                });
            }
            Err(opsflow_inventory::service::InventoryError::NotFound) => {
                unknown.push((index, line.sku.clone()))
            }
            Err(opsflow_inventory::service::InventoryError::Store(error)) => {
                return Err(error.into())
            }
            Err(error) => {
                return Err(OrdersError::Store(StoreError::Other(anyhow::anyhow!(
                    "{error}"
                ))))
            }
        }
    }
    if !unknown.is_empty() {
        return Err(OrdersError::UnknownSkus(unknown));
    }
    let total = priced
        .iter()
        .try_fold(0i64, |sum, line| sum.checked_add(line.line_total))
        .ok_or(OrdersError::TooLarge)?;
    // Placed when its id says, so that listings by time (which read ids)
    // and `created_at` agree to the millisecond.
    let id = EntityId::new();
    let now = id.time().unwrap_or_else(clock::now);
    let record = OrderRecord {
        id,
        user_id: principal.user_id,
        status: OrderStatus::Pending,
        lines: priced,
        total,
        notes: notes.as_str().to_owned(),
        hold: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let actor = Actor::from(principal);
    let mut changes = Map::new();
    changes.insert("status".into(), json!([null, record.status]));
    let (event, entry) = recorded(
        events::ORDER_CREATED,
        "created",
        &actor,
        correlation_id,
        &record,
        changes,
    );
    let moves: Vec<(Sku, i64)> = record
        .lines
        .iter()
        .map(|l| (l.sku.clone(), -l.quantity))
        .collect();
    commit(store, || store.new_order(&record), &event, &entry, &moves).await?;
    settle_all(store, &moves, &actor, &event).await;
    Ok(record)
}

/// Moves `record` (as read) to `status` and/or sets its `notes`; the
/// order after.
pub async fn change(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    record: &OrderRecord,
    status: Option<OrderStatus>,
    notes: Option<Notes>,
) -> Result<OrderRecord, OrdersError> {
    let mut after = record.clone();
    let mut changes = Map::new();
    let mut moves = Vec::new();
    if let Some(to) = status.filter(|to| *to != record.status) {
        let from = record.status;
        if !next(from).contains(&to) {
            return Err(OrdersError::Illegal { from });
        }
        if !may_move(principal, &record.user_id, from, to) {
            return Err(OrdersError::Forbidden { from, to });
        }
        if let (Some(hold), OrderStatus::Processing) = (&record.hold, to) {
            return Err(OrdersError::Held {
                reason: hold.reason.clone(),
                approval_id: hold.approval_id,
            });
        }
        let sign = match stock_effect(from, to) {
            StockEffect::None => 0,
            StockEffect::GiveBack => 1,
            StockEffect::TakeAgain => -1,
        };
        if sign != 0 {
            moves = record
                .lines
                .iter()
                .map(|l| (l.sku.clone(), sign * l.quantity))
                .collect();
        }
        after.status = to;
        changes.insert("status".into(), json!([from, to]));
    }
    // Whoever may see the order (its owner, admins) may set its notes.
    if let Some(notes) = notes.filter(|n| n.as_str() != record.notes) {
        changes.insert("notes".into(), json!([record.notes, notes.as_str()]));
        after.notes = notes.as_str().to_owned();
    }
    if changes.is_empty() {
        return Ok(record.clone());
    }
    after.version += 1;
    after.updated_at = clock::now();
    let (event_type, kind) = if changes.contains_key("status") {
        (events::ORDER_STATUS_CHANGED, "status_changed")
    } else {
        (events::ORDER_UPDATED, "updated")
    };
    let actor = Actor::from(principal);
    let (event, entry) = recorded(event_type, kind, &actor, correlation_id, &after, changes);
    let giving_back = moves.iter().any(|(_, delta)| *delta > 0);
    commit(
        store,
        || store.next_order(record.version, &after),
        &event,
        &entry,
        &moves,
    )
    .await
    .map_err(|error| match error {
        OrdersError::OutOfStock(skus) if giving_back => OrdersError::TooMuchStock(skus),
        other => other,
    })?;
    settle_all(store, &moves, &actor, &event).await;
    Ok(after)
}

/// Deletes a `cancelled` or `delivered` order (an admin's), with its
/// timeline; its audit records stay.
pub async fn delete(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    record: &OrderRecord,
) -> Result<(), OrdersError> {
    if !matches!(
        record.status,
        OrderStatus::Cancelled | OrderStatus::Delivered
    ) {
        return Err(OrdersError::NotDeletable(record.status));
    }
    let timeline = store.timeline(&record.id).await?;
    let mut event = Envelope::new(
        events::ORDER_DELETED,
        events::ORDER,
        record.id,
        Actor::from(principal),
        correlation_id,
        order_data(record),
    )
    .change("status", Some(record.status), None::<OrderStatus>);
    event.depth = 0;
    store
        .delete_order(record, &timeline, &event)
        .await
        .map_err(|error| match error {
            StoreError::ConditionFailed => OrdersError::Stale,
            other => other.into(),
        })
}
