//! What clients see of a subscription, which is also what its events carry
//! as `data`. A signing secret is shown once, in the answer that made it
//! ([`WithSecret`]), and never again: not in a view, an event or a log.
//! Events carry a subscription's URL cut to its origin. A delivery shows
//! what was sent and what each attempt got back.

use crate::domain::delivery::Status;
use crate::store::deliveries::{AttemptEntry, DeliveryRecord};
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

/// [`subscription_view`] as an event's `data`, its URL cut to its origin
/// (`https://hooks.example.com`): a URL's path or query is often itself a
/// credential, and events reach the audit log and rules.
pub fn subscription_data(record: &SubscriptionRecord, now: OffsetDateTime) -> Value {
    let mut view = subscription_view(record, now);
    view.url = url::Url::parse(&view.url)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default();
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// A delivery as the delivery log shows it: what was sent, and every
/// attempt with what the receiver answered.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub id: EntityId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub webhook_id: EntityId,
    /// The event's (or notice's) id: the `webhook-id` header of every
    /// attempt, kept by a redelivery.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub message_id: EntityId,
    /// The event's type.
    pub event: String,
    /// The topic, for a rule's notice.
    pub topic: Option<String>,
    pub status: Status,
    /// In the order they were made.
    pub attempts: Vec<AttemptEntry>,
    /// When the next attempt is due, while `retrying`.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// The body every attempt sends; only when one delivery is read (a
    /// payload may be up to 256 KiB, so a page of them leaves it out).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub payload: Option<Value>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A delivery in a listing: without its payload.
pub fn delivery_summary(record: &DeliveryRecord) -> DeliveryView {
    DeliveryView {
        payload: None,
        ..delivery_view(record)
    }
}

/// A delivery read alone, with its payload.
pub fn delivery_view(record: &DeliveryRecord) -> DeliveryView {
    DeliveryView {
        id: record.id,
        webhook_id: record.webhook_id,
        message_id: record.message_id,
        event: record.event_type.clone(),
        topic: record.topic.clone(),
        status: record.status,
        attempts: record.attempts.clone(),
        next_attempt_at: record.next_attempt_at,
        payload: Some(serde_json::from_str(&record.payload).unwrap_or(Value::Null)),
        created_at: record.created_at,
        updated_at: record.updated_at,
    }
}
