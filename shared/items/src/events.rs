//! The items module's event types. Each carries the item's view as `data`,
//! through the outbox like every change, so rules and webhooks see them.

pub use opsflow_platform::events::*;

/// The entity kind of item events.
pub const ITEM: &str = "item";
pub const ITEM_CREATED: &str = "item.created";
/// `changes` names each field that changed, `[before, after]`.
pub const ITEM_UPDATED: &str = "item.updated";
pub const ITEM_DELETED: &str = "item.deleted";
