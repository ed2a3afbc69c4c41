//! Subscriptions' use cases: create, change, rotate the secret, test
//! (ping), delete. Admins only (the routes check the permission). A URL is
//! judged by the address policy when it is written (and again at every
//! delivery); a subscription always receives something (a pattern or a
//! topic); every change commits its `webhook.*` event with it, and no
//! event carries a secret.

use super::{stale_on_condition, WebhookError};
use crate::domain::delivery::delivery_id;
use crate::domain::signing::Secret;
use crate::domain::subscription::{Description, Interests, Subscription};
use crate::domain::target::Target;
use crate::events::{self, Actor, Envelope};
use crate::store::subscriptions::{SubscriptionRecord, SubscriptionStore, Unusable};
use crate::store::{Store, StoreError};
use crate::view::subscription_data;
use opsflow_platform::clock;
use opsflow_platform::domain::EntityId;
use serde_json::json;

/// A subscription to create.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub target: Target,
    pub description: Description,
    pub interests: Interests,
    pub active: bool,
}

/// The fields a change sets; `None` leaves one as it is. Patterns and
/// topics are checked together with what the subscription keeps.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub target: Option<Target>,
    pub description: Option<Description>,
    pub events: Option<Vec<String>>,
    pub topics: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// The fields whose change an `webhook.updated` event names.
const CHANGEABLE: [&str; 5] = ["url", "description", "events", "topics", "active"];

fn unusable(error: Unusable) -> WebhookError {
    match error {
        Unusable::Target(problem) => WebhookError::Invalid {
            field: "url",
            message: problem.to_string(),
        },
        Unusable::Corrupt(what) => WebhookError::Store(StoreError::Other(anyhow::anyhow!(what))),
    }
}

/// Subscription `id`.
pub async fn subscription(
    store: &Store,
    id: &EntityId,
) -> Result<SubscriptionRecord, WebhookError> {
    store
        .subscription_by_id(id)
        .await?
        .ok_or(WebhookError::NotFound("webhook subscription"))
}

fn event(
    event_type: &str,
    actor: Actor,
    correlation_id: &str,
    record: &SubscriptionRecord,
) -> Envelope {
    Envelope::new(
        event_type,
        events::WEBHOOK,
        record.id,
        actor,
        correlation_id,
        subscription_data(record, clock::now()),
    )
}

/// Stores a new subscription made by `author`; returns it and its secret.
pub async fn create(
    store: &Store,
    actor: Actor,
    author: EntityId,
    correlation_id: &str,
    new: NewSubscription,
) -> Result<(SubscriptionRecord, Secret), WebhookError> {
    let secret = Secret::generate();
    let mut subscription = Subscription::new(new.target, new.interests, secret.clone());
    subscription.set_active(new.active);
    let description = new.description.as_str().to_owned();
    let record = SubscriptionRecord::new(&subscription, description, author, clock::now());
    let event = event(events::WEBHOOK_CREATED, actor, correlation_id, &record);
    store.create_subscription(&record, &event).await?;
    Ok((record, secret))
}

/// Applies `changes` to `record` (as it was read) and stores it if it is
/// still at that version.
pub async fn update(
    store: &Store,
    actor: Actor,
    correlation_id: &str,
    record: &mut SubscriptionRecord,
    changes: Changes,
) -> Result<(), WebhookError> {
    let now = clock::now();
    let before = subscription_data(record, now);
    // A URL kept as it is stays whatever the allow-list has become: every
    // delivery judges it again.
    let target = match changes.target {
        Some(target) => target,
        None => Target::stored(&record.url).map_err(|e| unusable(e.into()))?,
    };
    let mut subscription = record.restore(target).map_err(unusable)?;
    let events = changes.events.unwrap_or_else(|| record.events.clone());
    let topics = changes.topics.unwrap_or_else(|| record.topics.clone());
    subscription.interests = Interests::parse(&events, &topics)
        .map_err(|(field, message)| WebhookError::Invalid { field, message })?;
    if let Some(active) = changes.active {
        if active && !subscription.is_active() {
            record.disabled_at = None;
        }
        subscription.set_active(active);
    }
    if let Some(description) = changes.description {
        record.description = description.as_str().to_owned();
    }
    let mut after = record.clone();
    after.set(&subscription);
    after.version += 1;
    after.updated_at = now;
    let after_view = subscription_data(&after, now);
    let mut event = event(events::WEBHOOK_UPDATED, actor, correlation_id, &after).changes_between(
        &before,
        &after_view,
        &CHANGEABLE,
    );
    // Shown by origin: a new path on the same host is a change too.
    if record.url != after.url && !event.changes.contains_key("url") {
        event = event.change("url", &before["url"], &after_view["url"]);
    }
    record.set(&subscription);
    store
        .update_subscription(record, now, &event)
        .await
        .map_err(stale_on_condition)
}

/// Gives `record` a new signing secret; the one it replaces keeps signing
/// beside it for the rotation overlap. Returns the new secret.
pub async fn rotate_secret(
    store: &Store,
    actor: Actor,
    correlation_id: &str,
    record: &mut SubscriptionRecord,
) -> Result<Secret, WebhookError> {
    let now = clock::now();
    let secret = Secret::generate();
    let secrets = record.secrets().map_err(unusable)?;
    record.set_secrets(&secrets.rotate(secret.clone(), now));
    let mut after = record.clone();
    after.version += 1;
    after.updated_at = now;
    let event = event(
        events::WEBHOOK_SECRET_ROTATED,
        actor,
        correlation_id,
        &after,
    );
    store
        .update_subscription(record, now, &event)
        .await
        .map_err(stale_on_condition)?;
    Ok(secret)
}

/// Asks for a test delivery to `record` (whatever its patterns, active or
/// not): a `webhook.ping` event, which the dispatcher delivers to it
/// alone. Returns the id the delivery will have.
pub async fn ping(
    store: &Store,
    actor: Actor,
    correlation_id: &str,
    record: &SubscriptionRecord,
) -> Result<EntityId, WebhookError> {
    let event = Envelope::new(
        events::WEBHOOK_PING,
        events::WEBHOOK,
        record.id,
        actor,
        correlation_id,
        json!({"webhook_id": record.id, "message": "a test delivery from Opsflow"}),
    );
    store.publish_event(&event).await?;
    Ok(delivery_id(&event.id, &record.id, event.occurred_at))
}

/// Deletes `record` if it is still at the version read. Its deliveries
/// expire on their own.
pub async fn delete(
    store: &Store,
    actor: Actor,
    correlation_id: &str,
    record: &SubscriptionRecord,
) -> Result<(), WebhookError> {
    let event = event(events::WEBHOOK_DELETED, actor, correlation_id, record);
    store
        .delete_subscription(record, &event)
        .await
        .map_err(stale_on_condition)
}
