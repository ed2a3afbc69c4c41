//! The webhooks module's event types. Each carries the subscription's view
//! as `data` (never a secret), through the outbox like every change.
//!
//! `webhook.ping` is delivered only to the subscription it names, whatever
//! its patterns; every other event goes to the subscriptions that match it.

pub use opsflow_platform::events::*;

/// The entity kind of subscription events.
pub const WEBHOOK: &str = "webhook";
pub const WEBHOOK_CREATED: &str = "webhook.created";
/// `changes` names each field that changed, `[before, after]`.
pub const WEBHOOK_UPDATED: &str = "webhook.updated";
pub const WEBHOOK_DELETED: &str = "webhook.deleted";
/// A new signing secret; the previous one signs too until the overlap ends.
pub const WEBHOOK_SECRET_ROTATED: &str = "webhook.secret_rotated";
/// A test delivery an admin asked for.
pub const WEBHOOK_PING: &str = "webhook.ping";
/// An admin asked for a delivery to be made again: `data` names the new
/// delivery (`delivery_id`), the one it repeats (`redelivery_of`) and the
/// subscription (`webhook_id`).
pub const WEBHOOK_REDELIVERED: &str = "webhook.redelivered";
/// Failed deliveries in a row turned the subscription off.
pub const WEBHOOK_DISABLED: &str = "webhook.disabled";
