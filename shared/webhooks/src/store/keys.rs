//! Keys of webhook subscriptions.

pub use opsflow_platform::store::keys::*;

use opsflow_platform::domain::EntityId;

pub const SUBSCRIPTION_SK: &str = "WEBHOOK";

/// A subscription's partition: the subscription itself (`sk = WEBHOOK`).
pub fn subscription_pk(id: &EntityId) -> String {
    format!("WEBHOOK#{id}")
}

/// `gsi1`: every subscription, newest first (by its `pk`).
pub const SUBSCRIPTIONS_GSI1PK: &str = "WEBHOOKS";

/// `gsi2`: the active (or inactive) subscriptions, which is how the
/// dispatcher reads the ones an event may go to.
pub fn subscriptions_by_state_gsi2pk(active: bool) -> String {
    if active {
        "WEBHOOKS#ACTIVE".into()
    } else {
        "WEBHOOKS#INACTIVE".into()
    }
}
