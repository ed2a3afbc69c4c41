//! Webhook subscriptions (and, beside each, its deliveries) in the entity
//! table. Access patterns are written in each file's `//!`.

pub use opsflow_platform::store::*;

pub mod deliveries;
pub mod keys;
pub mod subscriptions;

pub use deliveries::DeliveryStore;
pub use subscriptions::SubscriptionStore;
