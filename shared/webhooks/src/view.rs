//! What clients see of a subscription, which is also what its events carry
//! as `data`. A signing secret is shown once, in the answer that made it
//! ([`WithSecret`]), and never again: not in a view, an event or a log.

use crate::store::subscriptions::SubscriptionRecord;
use opsflow_platform::domain::EntityId;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// A subscription as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionView {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub id: EntityId,
    /// Where deliveries are `POST`ed.
    pub url: String,
    pub description: String,
    /// Event-type patterns (`approval.rejected`, `order.*`, `*`).
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = BTreeSet<opsflow_platform::openapi::EventPatternText>)
    )]
    pub events: Vec<String>,
    /// Topics of rules' `notify_webhook` actions.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = BTreeSet<opsflow_platform::events::WebhookTopic>)
    )]
    pub topics: Vec<String>,
    /// Whether deliveries are made.
    pub active: bool,
    /// Deliveries that failed in a row (the 15th turns it off).
    pub failed_in_a_row: u32,
    /// When failed deliveries turned it off.
    #[serde(with = "time::serde::rfc3339::option")]
    pub disabled_at: Option<OffsetDateTime>,
    /// Until when the secret replaced by the last rotation still signs
    /// deliveries beside the new one.
    #[serde(with = "time::serde::rfc3339::option")]
    pub previous_secret_expires_at: Option<OffsetDateTime>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub created_by: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

/// A subscription with its new signing secret: the answer to a create or a
/// rotation, the only time the secret is shown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithSecret {
    #[serde(flatten)]
    pub subscription: SubscriptionView,
    /// `whsec_` then the base64 of 32 random bytes: the key of the
    /// HMAC-SHA256 signature in `webhook-signature`. Store it now.
    pub secret: String,
}

pub fn subscription_view(record: &SubscriptionRecord, now: OffsetDateTime) -> SubscriptionView {
    SubscriptionView {
        id: record.id,
        url: record.url.clone(),
        description: record.description.clone(),
        events: record.events.clone(),
        topics: record.topics.clone(),
        active: record.active,
        failed_in_a_row: record.failed_in_a_row,
        disabled_at: record.disabled_at,
        previous_secret_expires_at: record.previous_secret_until(now),
        created_by: record.created_by,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    }
}

/// [`subscription_view`] as an event's `data`.
pub fn subscription_data(record: &SubscriptionRecord, now: OffsetDateTime) -> Value {
    serde_json::to_value(subscription_view(record, now)).unwrap_or(Value::Null)
}
