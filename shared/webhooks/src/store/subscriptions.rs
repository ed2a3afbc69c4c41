//! Webhook subscriptions.
//!
//! Access patterns:
//! - subscription by id: `GetItem pk=WEBHOOK#<id>, sk=WEBHOOK`
//! - every subscription, newest first: `Query gsi1 gsi1pk=WEBHOOKS`
//!   (descending by `WEBHOOK#<id>`; ids are UUIDv7)
//! - the active (or inactive) ones, newest first: `Query gsi2
//!   gsi2pk=WEBHOOKS#ACTIVE` (`#INACTIVE`); the dispatcher reads every
//!   active one for each event (an admin's handful, read page by page)
//! - the failed deliveries in a row: `UpdateItem ADD failed_in_a_row`
//!   (and `SET … = 0` after a success), which leave the version alone
//!
//! The signing secrets are stored as their `whsec_` text (the table is
//! encrypted at rest) because every delivery needs them to sign; the view
//! and the events never carry them. Writes carry their event (outbox) and,
//! after creation, the version they expect.

use super::{classify, from_item, keys, n, Entity, Item, Keys, Store, StoreError, StoreFuture};
use crate::domain::signing::Secret;
use crate::domain::subscription::{Interests, Secrets, Subscription};
use crate::domain::target::{Target, TargetError};
use crate::events::Envelope;
use aws_sdk_dynamodb::types::ReturnValue;
use opsflow_platform::domain::EntityId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    pub id: EntityId,
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Event-type patterns, as written.
    #[serde(default)]
    pub events: Vec<String>,
    /// Topics of rules' `notify_webhook` actions.
    #[serde(default)]
    pub topics: Vec<String>,
    pub active: bool,
    /// Deliveries that failed in a row since the last that succeeded.
    #[serde(default)]
    pub failed_in_a_row: u32,
    /// When failures turned it off (cleared when it is turned on again).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub disabled_at: Option<OffsetDateTime>,
    secret: StoredSecret,
    #[serde(default)]
    previous_secret: Option<StoredSecret>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    previous_secret_until: Option<OffsetDateTime>,
    pub created_by: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

/// A secret's text as stored: written and read as itself, never shown by
/// `Debug` (records are logged on failures).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
struct StoredSecret(String);

impl std::fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredSecret(…)")
    }
}

/// Why a stored subscription cannot be used for a delivery.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
    /// Its URL is not allowed where the dispatcher runs now (the
    /// allow-list changed since it was written).
    #[error("url: {0}")]
    Target(#[from] TargetError),
    /// Stored data that does not parse back.
    #[error("a stored subscription is corrupt: {0}")]
    Corrupt(String),
}

impl SubscriptionRecord {
    /// A new, active subscription of `author`, signed with `secret`.
    pub fn new(
        subscription: &Subscription,
        description: String,
        author: EntityId,
        now: OffsetDateTime,
    ) -> Self {
        let mut record = Self {
            id: EntityId::new(),
            url: String::new(),
            description,
            events: Vec::new(),
            topics: Vec::new(),
            active: true,
            failed_in_a_row: 0,
            disabled_at: None,
            secret: StoredSecret(String::new()),
            previous_secret: None,
            previous_secret_until: None,
            created_by: author,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        record.set(subscription);
        record
    }

    /// Takes every field the domain holds from `subscription`.
    pub fn set(&mut self, subscription: &Subscription) {
        self.url = subscription.target.url().to_string();
        self.events = (subscription.interests.patterns().iter())
            .map(ToString::to_string)
            .collect();
        self.topics = (subscription.interests.topics().iter())
            .map(ToString::to_string)
            .collect();
        self.active = subscription.is_active();
        self.failed_in_a_row = subscription.failed_in_a_row();
        self.set_secrets(&subscription.secrets);
    }

    /// The subscription as the domain sees it, sending to `target`.
    pub fn restore(&self, target: Target) -> Result<Subscription, Unusable> {
        let interests = Interests::parse(&self.events, &self.topics)
            .map_err(|(field, message)| Unusable::Corrupt(format!("{field}: {message}")))?;
        Ok(Subscription::restore(
            target,
            interests,
            self.secrets()?,
            self.active,
            self.failed_in_a_row,
        ))
    }

    /// The signing secrets as stored.
    pub fn secrets(&self) -> Result<Secrets, Unusable> {
        let secret = |text: &str| {
            Secret::parse(text).map_err(|e| Unusable::Corrupt(format!("a secret: {e}")))
        };
        let previous = match (&self.previous_secret, self.previous_secret_until) {
            (Some(text), Some(until)) => Some((secret(&text.0)?, until)),
            _ => None,
        };
        Ok(Secrets::restore(secret(&self.secret.0)?, previous))
    }

    pub fn set_secrets(&mut self, secrets: &Secrets) {
        self.secret = StoredSecret(secrets.current().reveal());
        self.previous_secret = secrets
            .previous()
            .map(|(secret, _)| StoredSecret(secret.reveal()));
        self.previous_secret_until = secrets.previous().map(|(_, until)| *until);
    }

    /// When the rotated-out secret stops signing, while it still does.
    pub fn previous_secret_until(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        self.previous_secret_until.filter(|until| *until > now)
    }
}

impl Entity for SubscriptionRecord {
    const TYPE: &'static str = "webhook";

    fn keys(&self) -> Keys {
        Keys::by_pk(
            keys::subscription_pk(&self.id),
            keys::SUBSCRIPTION_SK,
            keys::SUBSCRIPTIONS_GSI1PK,
            keys::subscriptions_by_state_gsi2pk(self.active),
        )
    }
}

opsflow_platform::versioned!(SubscriptionRecord);

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait SubscriptionStore {
    fn create_subscription(
        &self,
        record: &SubscriptionRecord,
        event: &Envelope,
    ) -> impl StoreFuture<()>;

    fn subscription_by_id(&self, id: &EntityId) -> impl StoreFuture<Option<SubscriptionRecord>>;

    /// Replaces a subscription still at its current version (advancing
    /// version and `updated_at`), with its event.
    fn update_subscription(
        &self,
        record: &mut SubscriptionRecord,
        now: OffsetDateTime,
        event: &Envelope,
    ) -> impl StoreFuture<()>;

    fn delete_subscription(
        &self,
        record: &SubscriptionRecord,
        event: &Envelope,
    ) -> impl StoreFuture<()>;

    /// A page of subscriptions, newest first: all, or the active (or
    /// inactive) ones.
    fn list_subscriptions(
        &self,
        active: Option<bool>,
        limit: i32,
        start: Option<Item>,
    ) -> impl StoreFuture<(Vec<SubscriptionRecord>, Option<Item>)>;

    /// Every active subscription.
    fn active_subscriptions(&self) -> impl StoreFuture<Vec<SubscriptionRecord>>;

    /// Adds one to a subscription's failed deliveries in a row, atomically
    /// and without moving its version (an admin's `If-Match` stays
    /// valid); the subscription after, `None` if it is gone.
    fn count_failure(&self, id: &EntityId) -> impl StoreFuture<Option<SubscriptionRecord>>;

    /// Starts the count again after a delivery (a no-op at 0 or when gone).
    fn clear_failures(&self, id: &EntityId) -> impl StoreFuture<()>;
}

impl SubscriptionStore for Store {
    async fn create_subscription(
        &self,
        record: &SubscriptionRecord,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        self.insert_with_event(record.item()?, event).await
    }

    async fn subscription_by_id(
        &self,
        id: &EntityId,
    ) -> Result<Option<SubscriptionRecord>, StoreError> {
        self.get(keys::subscription_pk(id), keys::SUBSCRIPTION_SK)
            .await
    }

    async fn update_subscription(
        &self,
        record: &mut SubscriptionRecord,
        now: OffsetDateTime,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        self.replace_next_version(record, now, Some(event)).await
    }

    async fn delete_subscription(
        &self,
        record: &SubscriptionRecord,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        self.delete_versioned(
            keys::subscription_pk(&record.id),
            keys::SUBSCRIPTION_SK,
            record.version,
            Vec::new(),
            event,
        )
        .await
    }

    async fn list_subscriptions(
        &self,
        active: Option<bool>,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<SubscriptionRecord>, Option<Item>), StoreError> {
        let by = active.map(keys::subscriptions_by_state_gsi2pk);
        self.page_listed(keys::SUBSCRIPTIONS_GSI1PK, by, limit, start)
            .await
    }

    async fn count_failure(&self, id: &EntityId) -> Result<Option<SubscriptionRecord>, StoreError> {
        let added = self
            .update_at(keys::subscription_pk(id), keys::SUBSCRIPTION_SK)
            .update_expression("ADD failed_in_a_row :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| classify(e, "UpdateItem"));
        match added {
            Ok(output) => output.attributes.map(from_item).transpose(),
            Err(StoreError::ConditionFailed) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn clear_failures(&self, id: &EntityId) -> Result<(), StoreError> {
        let cleared = self
            .update_at(keys::subscription_pk(id), keys::SUBSCRIPTION_SK)
            .update_expression("SET failed_in_a_row = :zero")
            .condition_expression("failed_in_a_row > :zero")
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(|e| classify(e, "UpdateItem"));
        match cleared {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(error) => Err(error),
        }
    }

    async fn active_subscriptions(&self) -> Result<Vec<SubscriptionRecord>, StoreError> {
        let mut all = Vec::new();
        let mut start = None;
        loop {
            let (page, next) = self.list_subscriptions(Some(true), 100, start).await?;
            all.extend(page);
            match next {
                Some(next) => start = Some(next),
                None => return Ok(all),
            }
        }
    }
}
