//! What clients see of an order and its timeline, which is also what its
//! events carry as `data`.

use crate::store::{Hold, OrderRecord, TimelineEntry};
use opsflow_platform::domain::EntityId;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// One line of an order.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLineView {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[A-Z0-9][A-Z0-9-]{1,31}$", example = "DESK-120")
    )]
    pub sku: String,
    /// The SKU's name when the order was placed.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000))]
    pub quantity: i64,
    /// Minor units (cents), from the inventory when the order was placed.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10_000_000_000_i64))]
    pub unit_price: i64,
    /// `quantity × unit_price`.
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub line_total: i64,
}

/// An order as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderView {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub id: EntityId,
    /// Who placed it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub user_id: EntityId,
    /// `pending`, `processing`, `shipped`, `delivered` or `cancelled`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::OrderStatus))]
    pub status: &'static str,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 25))]
    pub items: Vec<OrderLineView>,
    /// Minor units (cents): the sum of the lines.
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub total: i64,
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub notes: String,
    /// Set while a rule holds the order for approval: it cannot move to
    /// `processing` until released.
    pub hold: Option<HoldView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

pub fn order_view(record: &OrderRecord) -> OrderView {
    OrderView {
        id: record.id,
        user_id: record.user_id,
        status: record.status.as_str(),
        items: record
            .lines
            .iter()
            .map(|line| OrderLineView {
                sku: line.sku.as_str().to_owned(),
                name: line.name.clone(),
                quantity: line.quantity,
                unit_price: line.unit_price,
                line_total: line.line_total,
            })
            .collect(),
        total: record.total,
        notes: record.notes.clone(),
        hold: record.hold.as_ref().map(hold_view),
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    }
}

/// Why an order is held.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = OrderHold))]
pub struct HoldView {
    /// The rule's reason.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub reason: String,
    /// The approval request filed for the order: approving it releases the
    /// order (through a rule's `release_order`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub approval_id: EntityId,
    /// The rule that held it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub rule_id: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub held_at: OffsetDateTime,
}

pub fn hold_view(hold: &Hold) -> HoldView {
    HoldView {
        reason: hold.reason.clone(),
        approval_id: hold.approval_id,
        rule_id: hold.rule_id,
        held_at: hold.at,
    }
}

/// [`order_view`] as an event's `data`.
pub fn order_data(record: &OrderRecord) -> Value {
    serde_json::to_value(order_view(record)).unwrap_or(Value::Null)
}

/// One change on an order's timeline.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = OrderTimelineView))]
pub struct TimelineView {
    /// `created`, `status_changed`, `updated`, `held` or `released`.
    pub kind: String,
    /// The change's event (in the audit log under this id).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub event_id: EntityId,
    /// `{field: [before, after]}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub changes: Value,
    pub actor: TimelineActor,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Who made a change.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = OrderTimelineActor))]
pub struct TimelineActor {
    pub id: String,
    pub role: String,
}

pub fn timeline_view(entry: &TimelineEntry) -> TimelineView {
    TimelineView {
        kind: entry.kind.clone(),
        event_id: entry.event_id,
        changes: entry.changes.clone(),
        actor: TimelineActor {
            id: entry.actor_id.clone(),
            role: entry.actor_role.clone(),
        },
        at: entry.at,
    }
}
