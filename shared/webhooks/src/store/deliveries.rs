//! Deliveries: one message (an event, or a rule's notice) on its way to one
//! subscription, with every attempt made at it. They live in their
//! subscription's partition and expire 30 days after they were made.
//!
//! Access patterns:
//! - delivery by id: `GetItem pk=WEBHOOK#<webhook id>, sk=DELIVERY#<id>`
//! - a subscription's deliveries, newest first: `Query pk=WEBHOOK#<webhook
//!   id>, begins_with(sk, DELIVERY#)`, descending (ids are UUIDv7 carrying
//!   the message's time)
//!
//! A delivery is written once when the message fans out (`attribute_not_exists`,
//! so a repeated fan-out finds it) and then only at its next version: the
//! dispatcher claims it for one attempt (`claimed_until`), then records the
//! attempt and releases the claim, so two copies of a queue message never
//! attempt it together.

use super::{keys, Entity, Keys, Partition, Store, StoreError, StoreFuture, Written};
use crate::domain::delivery::{AttemptRecord, Delivery, Status};
use crate::domain::retry::Attempt;
use crate::events::Envelope;
use opsflow_platform::domain::EntityId;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// How long a delivery is kept.
pub const RETENTION: Duration = Duration::days(30);

/// The sort key prefix of deliveries in their subscription's partition.
pub const DELIVERY_PREFIX: &str = "DELIVERY#";

pub fn delivery_sk(id: &EntityId) -> String {
    format!("{DELIVERY_PREFIX}{id}")
}

/// How an attempt ended, as stored and shown: `answered` (the receiver
/// answered, `response_status`), `timed_out`, `unreachable` (no connection
/// could be made) or `refused` (by the address policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    /// The receiver answered (`response_status`).
    Answered,
    TimedOut,
    /// No connection could be made (refused, reset, TLS, no such host).
    Unreachable,
    /// The address policy refused what the host resolved to.
    Refused,
}

/// One attempt, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub outcome: Outcome,
    /// The receiver's status, when it answered.
    pub response_status: Option<u16>,
    pub latency_ms: u64,
    /// The first KiB of the receiver's answer.
    pub response_body: String,
    /// What went wrong, when nothing was answered.
    pub problem: Option<String>,
}

impl AttemptEntry {
    pub fn new(attempt: &AttemptRecord, problem: Option<String>) -> Self {
        let (outcome, response_status) = match attempt.ended {
            Attempt::Answered(status) => (Outcome::Answered, Some(status)),
            Attempt::TimedOut => (Outcome::TimedOut, None),
            Attempt::Unreachable => (Outcome::Unreachable, None),
            Attempt::Refused => (Outcome::Refused, None),
        };
        Self {
            at: attempt.at,
            outcome,
            response_status,
            latency_ms: attempt.latency_ms,
            response_body: attempt.excerpt.clone(),
            problem,
        }
    }

    fn record(&self) -> AttemptRecord {
        let ended = match (self.outcome, self.response_status) {
            (Outcome::Answered, Some(status)) => Attempt::Answered(status),
            (Outcome::Answered, None) | (Outcome::Unreachable, _) => Attempt::Unreachable,
            (Outcome::TimedOut, _) => Attempt::TimedOut,
            (Outcome::Refused, _) => Attempt::Refused,
        };
        AttemptRecord {
            at: self.at,
            ended,
            latency_ms: self.latency_ms,
            excerpt: self.response_body.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub id: EntityId,
    pub webhook_id: EntityId,
    /// The event's (or notice's) id: the `webhook-id` of every attempt.
    pub message_id: EntityId,
    pub event_type: String,
    /// The topic, for a rule's notice.
    #[serde(default)]
    pub topic: Option<String>,
    /// The body every attempt sends, as sent.
    pub payload: String,
    pub status: Status,
    #[serde(default)]
    pub attempts: Vec<AttemptEntry>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// Until when one dispatcher holds it for an attempt.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub claimed_until: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
    /// The TTL attribute: epoch seconds.
    expires_at: i64,
}

impl DeliveryRecord {
    pub fn new(
        id: EntityId,
        webhook_id: EntityId,
        message_id: EntityId,
        event_type: String,
        topic: Option<String>,
        payload: String,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            webhook_id,
            message_id,
            event_type,
            topic,
            payload,
            status: Status::Pending,
            attempts: Vec::new(),
            next_attempt_at: None,
            claimed_until: None,
            created_at: now,
            updated_at: now,
            version: 1,
            expires_at: (now + RETENTION).unix_timestamp(),
        }
    }

    /// The delivery as the domain sees it.
    pub fn delivery(&self) -> Delivery {
        let attempts = self.attempts.iter().map(AttemptEntry::record).collect();
        Delivery::restore(self.status, attempts, self.next_attempt_at)
    }

    /// Takes the state of `delivery`, whose last attempt is `entry`.
    pub fn set(&mut self, delivery: &Delivery, entry: Option<AttemptEntry>) {
        self.status = delivery.status();
        self.next_attempt_at = delivery.next_attempt_at();
        self.attempts.extend(entry);
    }
}

impl Entity for DeliveryRecord {
    const TYPE: &'static str = "webhook_delivery";

    fn keys(&self) -> Keys {
        Keys::table(
            keys::subscription_pk(&self.webhook_id),
            delivery_sk(&self.id),
        )
    }
}

opsflow_platform::versioned!(DeliveryRecord);

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait DeliveryStore {
    /// Writes a new delivery; `AlreadyThere` when a fan-out made it before.
    fn create_delivery(&self, record: &DeliveryRecord) -> impl StoreFuture<Written>;

    /// Writes a new delivery with its event (a redelivery).
    fn create_delivery_with_event(
        &self,
        record: &DeliveryRecord,
        event: &Envelope,
    ) -> impl StoreFuture<()>;

    fn delivery_by_id(
        &self,
        webhook: &EntityId,
        id: &EntityId,
    ) -> impl StoreFuture<Option<DeliveryRecord>>;

    /// Replaces a delivery still at its version (advancing it); a stale
    /// version is `ConditionFailed`.
    fn update_delivery(
        &self,
        record: &mut DeliveryRecord,
        now: OffsetDateTime,
    ) -> impl StoreFuture<()>;

    /// A page of a subscription's deliveries, newest first; `after` and the
    /// returned key are sort keys.
    fn list_deliveries(
        &self,
        webhook: &EntityId,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<DeliveryRecord>, Option<String>)>;
}

impl DeliveryStore for Store {
    async fn create_delivery(&self, record: &DeliveryRecord) -> Result<Written, StoreError> {
        self.put_once(record.item()?).await
    }

    async fn create_delivery_with_event(
        &self,
        record: &DeliveryRecord,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        self.insert_with_event(record.item()?, event).await
    }

    async fn delivery_by_id(
        &self,
        webhook: &EntityId,
        id: &EntityId,
    ) -> Result<Option<DeliveryRecord>, StoreError> {
        self.get(keys::subscription_pk(webhook), &delivery_sk(id))
            .await
    }

    async fn update_delivery(
        &self,
        record: &mut DeliveryRecord,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.replace_next_version(record, now, None).await
    }

    async fn list_deliveries(
        &self,
        webhook: &EntityId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<DeliveryRecord>, Option<String>), StoreError> {
        let partition = Partition {
            index: None,
            partition_attribute: "pk",
            sort_attribute: "sk",
            partition: keys::subscription_pk(webhook),
        };
        let (items, next) = self
            .query_merged(
                std::slice::from_ref(&partition),
                DELIVERY_PREFIX,
                None,
                limit,
                after,
                true,
            )
            .await?;
        let records = items
            .into_iter()
            .map(super::from_item)
            .collect::<Result<_, _>>()?;
        Ok((records, next))
    }
}
