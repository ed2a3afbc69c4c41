//! The orders module's event types. Each carries the order's view as
//! `data` (lines, prices, total), through the outbox like every change, so
//! webhooks (order notifications) and rules (hold large orders for
//! approval) see them; each also has its entry on the order's timeline.

pub use opsflow_platform::events::*;

/// The entity kind of order events.
pub const ORDER: &str = "order";
/// `changes.status` is `[null, "pending"]`.
pub const ORDER_CREATED: &str = "order.created";
/// `changes.status` is `[before, after]` (and `notes` when it changed too).
pub const ORDER_STATUS_CHANGED: &str = "order.status_changed";
/// `changes.notes` is `[before, after]`.
pub const ORDER_UPDATED: &str = "order.updated";
/// The order is gone (it was `cancelled` or `delivered`), its timeline
/// with it; `changes.status` is `[before, null]`.
pub const ORDER_DELETED: &str = "order.deleted";
/// A rule held the pending order for approval (`changes.hold` is
/// `[null, {reason, approval_id, rule_id, at}]`), by the system.
pub const ORDER_HELD: &str = "order.held";
/// The hold was lifted: its approval was approved (by the system) or an
/// admin released it; `changes.hold` is `[hold, null]`.
pub const ORDER_RELEASED: &str = "order.released";
