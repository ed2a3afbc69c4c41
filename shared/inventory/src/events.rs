//! The inventory module's event types. Each carries the SKU's view as
//! `data`, through the outbox like every change, so rules, webhooks and
//! the audit log see them.

pub use opsflow_platform::events::*;

/// The entity kind of inventory events (`entity_id` is the SKU code).
pub const SKU: &str = "sku";
pub const INVENTORY_CREATED: &str = "inventory.created";
/// `changes` names each field that changed, `[before, after]`.
pub const INVENTORY_UPDATED: &str = "inventory.updated";
/// `changes.quantity` is `[before, after]`; `delta` and `reason` are in
/// `data`.
pub const INVENTORY_ADJUSTED: &str = "inventory.adjusted";
/// The SKU went below its threshold: once per crossing, in the same
/// transaction as the change that crossed it.
pub const INVENTORY_LOW_STOCK: &str = "inventory.low_stock";
/// The SKU is back at or above its threshold: off the low-stock list,
/// once per crossing, in the same transaction as the change that crossed
/// it (with `inventory.low_stock`, it keeps a count of low SKUs exact).
pub const INVENTORY_LOW_STOCK_CLEARED: &str = "inventory.low_stock_cleared";
