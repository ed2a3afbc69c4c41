//! Deliveries' use cases on the API side: reading them, and a redelivery,
//! which repeats a delivery that has ended (delivered or failed) as a new
//! one with the same payload and `webhook-id`, so a receiver that already
//! has it can tell. It is written with its `webhook.redelivered` event,
//! which the dispatcher answers by queueing its first attempt: the API
//! function writes only to its table.

use super::WebhookError;
use crate::events::{self, Actor, Envelope};
use crate::store::deliveries::{DeliveryRecord, DeliveryStore};
use crate::store::subscriptions::SubscriptionRecord;
use crate::store::Store;
use opsflow_platform::clock;
use opsflow_platform::domain::EntityId;
use serde_json::json;

/// Delivery `id` of `subscription`.
pub async fn delivery(
    store: &Store,
    subscription: &SubscriptionRecord,
    id: &EntityId,
) -> Result<DeliveryRecord, WebhookError> {
    store
        .delivery_by_id(&subscription.id, id)
        .await?
        .ok_or(WebhookError::NotFound("delivery"))
}

/// Makes `original` again as a new delivery; returns it.
pub async fn redeliver(
    store: &Store,
    actor: Actor,
    correlation_id: &str,
    subscription: &SubscriptionRecord,
    original: &DeliveryRecord,
) -> Result<DeliveryRecord, WebhookError> {
    if !original.status.is_final() {
        return Err(WebhookError::Conflict(
            "the delivery is still being attempted; redeliver it once it is delivered or failed"
                .into(),
        ));
    }
    if !subscription.active {
        return Err(WebhookError::Conflict(
            "the subscription is not active; turn it on (PATCH active: true) first".into(),
        ));
    }
    let now = clock::now();
    let record = DeliveryRecord::new(
        EntityId::new(),
        subscription.id,
        original.message_id,
        original.event_type.clone(),
        original.topic.clone(),
        original.payload.clone(),
        now,
    );
    let event = Envelope::new(
        events::WEBHOOK_REDELIVERED,
        events::WEBHOOK,
        subscription.id,
        actor,
        correlation_id,
        json!({
            "webhook_id": subscription.id,
            "delivery_id": record.id,
            "redelivery_of": original.id,
        }),
    );
    store.create_delivery_with_event(&record, &event).await?;
    Ok(record)
}
