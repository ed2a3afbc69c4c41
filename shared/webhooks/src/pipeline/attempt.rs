//! One attempt of one delivery, from its queue message.
//!
//! 1. A message for an attempt already made, or for a delivery that has
//!    ended, is done. One that is not due yet goes back to the queue.
//! 2. The dispatcher claims the delivery ([`LEASE`]); another copy of the
//!    message finds it claimed and stops, so the receiver gets each attempt
//!    once, while the next attempt's message, should it arrive before the
//!    claim ends, waits for it. A claim left by a crash lapses, and the
//!    message, back from the queue, tries again.
//! 3. It signs the payload with the subscription's live secrets, sends it
//!    ([`super::send`]), then queues the next attempt if one is due, and
//!    only then records the attempt and releases the claim: if that write
//!    fails, the message comes back, never the delivery lost.
//! 4. A delivery that ends counts for its subscription's health: the
//!    failures in a row, and the one that turns it off (`webhook.disabled`).
//!
//! A delivery whose subscription is off (other than a ping) ends as
//! `failed` without an attempt; one whose subscription was deleted is left
//! to expire.

use super::dispatcher::{text, Dispatcher};
use super::message::AttemptDue;
use super::send::{Outgoing, Sent};
use crate::domain::delivery::{AttemptRecord, Status, DISABLE_AFTER};
use crate::domain::retry::Attempt;
use crate::domain::signing::sign;
use crate::domain::target::Target;
use crate::events::{self, Actor, Envelope};
use crate::store::deliveries::{AttemptEntry, DeliveryRecord, DeliveryStore};
use crate::store::subscriptions::{SubscriptionRecord, SubscriptionStore};
use crate::store::StoreError;
use crate::view::subscription_data;
use time::{Duration, OffsetDateTime};

/// How long a claim holds: the send's timeout and room to record it.
pub const LEASE: Duration = Duration::seconds(30);

impl Dispatcher {
    pub(super) async fn attempt(&self, due: AttemptDue) -> Result<(), String> {
        let store = &self.store;
        let found = store.delivery_by_id(&due.webhook_id, &due.delivery_id);
        let Some(mut record) = found.await.map_err(text)? else {
            return Ok(());
        };
        if record.status.is_final() || (due.attempt as usize) <= record.attempts.len() {
            return Ok(());
        }
        let now = opsflow_platform::clock::now();
        if due.due_at > now + Duration::seconds(1) {
            return self.queue(&due, now).await;
        }
        if let Some(until) = record.claimed_until.filter(|until| *until > now) {
            // Another dispatcher is making attempt `len + 1`. A copy of its
            // message stops here (should the claimant crash, its own
            // message comes back). A later attempt, which the claimant
            // queues before it records its own, comes back once the claim
            // ends: it must not be lost.
            if due.attempt as usize > record.attempts.len() + 1 {
                let later = AttemptDue {
                    due_at: until + Duration::seconds(1),
                    ..due
                };
                return self.queue(&later, now).await;
            }
            return Ok(());
        }
        let subscription = store.subscription_by_id(&due.webhook_id);
        let Some(subscription) = subscription.await.map_err(text)? else {
            return Ok(());
        };
        if !subscription.active && record.event_type != events::WEBHOOK_PING {
            let mut delivery = record.delivery();
            delivery.abandon();
            record.set(&delivery, None);
            return match store.update_delivery(&mut record, now).await {
                Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
                Err(error) => Err(error.to_string()),
            };
        }

        record.claimed_until = Some(now + LEASE);
        match store.update_delivery(&mut record, now).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => return Ok(()),
            Err(error) => return Err(error.to_string()),
        }

        let at = opsflow_platform::clock::now();
        let sent = self.send(&subscription, &record, at).await;
        let attempt = AttemptRecord::new(at, sent.ended, sent.latency_ms, &sent.body);
        let mut delivery = record.delivery();
        let status = delivery.record(attempt.clone(), jitter()).map_err(text)?;
        if let (Status::Retrying, Some(next)) = (status, delivery.next_attempt_at()) {
            let following = AttemptDue {
                attempt: u32::try_from(delivery.attempts().len()).unwrap_or(u32::MAX) + 1,
                due_at: next,
                ..due
            };
            self.queue(&following, at).await?;
        }
        record.set(&delivery, Some(AttemptEntry::new(&attempt, sent.problem)));
        record.claimed_until = None;
        let finished = opsflow_platform::clock::now();
        store
            .update_delivery(&mut record, finished)
            .await
            .map_err(text)?;
        tracing::info!(
            webhook_id = %record.webhook_id,
            delivery_id = %record.id,
            attempt = record.attempts.len(),
            outcome = ?attempt.ended,
            status = ?status,
            "webhook attempt made"
        );
        if status.is_final() {
            let result = if status == Status::Delivered {
                "delivered"
            } else {
                "failed"
            };
            opsflow_platform::metrics::count("WebhookDeliveries", 1, Some(("Result", result)));
            if let Err(problem) = self.count(&subscription, status).await {
                tracing::error!(webhook_id = %subscription.id, %problem, "the subscription's health was not updated");
            }
        }
        Ok(())
    }

    /// Signs and sends the delivery's payload to the subscription's URL,
    /// judged by the address policy as it is now.
    async fn send(
        &self,
        subscription: &SubscriptionRecord,
        record: &DeliveryRecord,
        at: OffsetDateTime,
    ) -> Sent {
        let refused = |problem: String| Sent {
            ended: Attempt::Refused,
            latency_ms: 0,
            body: Vec::new(),
            problem: Some(problem),
        };
        let target = match Target::parse(&subscription.url, &self.allow) {
            Ok(target) => target,
            Err(problem) => return refused(format!("url: {problem}")),
        };
        let secrets = match subscription.secrets() {
            Ok(secrets) => secrets,
            Err(problem) => return refused(problem.to_string()),
        };
        let webhook_id = record.message_id.to_string();
        let timestamp = at.unix_timestamp();
        let signature = sign(
            &secrets.signing(at),
            &webhook_id,
            timestamp,
            record.payload.as_bytes(),
        );
        let out = Outgoing {
            webhook_id: &webhook_id,
            timestamp,
            signature: &signature,
            body: record.payload.as_bytes(),
        };
        self.sender.send(&target, &out).await
    }

    /// Counts a delivery that ended as `status` for its subscription: a
    /// success starts the failures in a row again; a failure adds one,
    /// and the [`DISABLE_AFTER`]th turns the subscription off with a
    /// `webhook.disabled` event (once: only while it is still on).
    async fn count(&self, read: &SubscriptionRecord, status: Status) -> Result<(), String> {
        let store = &self.store;
        match status {
            Status::Delivered => return store.clear_failures(&read.id).await.map_err(text),
            Status::Failed => {}
            Status::Pending | Status::Retrying => return Ok(()),
        }
        let mut record = match store.count_failure(&read.id).await.map_err(text)? {
            Some(record) => record,
            None => return Ok(()),
        };
        // Turned off at its current version, or by another count first.
        for _ in 0..5 {
            if record.failed_in_a_row < DISABLE_AFTER || !record.active {
                return Ok(());
            }
            let now = opsflow_platform::clock::now();
            record.active = false;
            record.disabled_at = Some(now);
            let mut after = record.clone();
            after.version += 1;
            after.updated_at = now;
            let event = Envelope::new(
                events::WEBHOOK_DISABLED,
                events::WEBHOOK,
                record.id,
                Actor::system(),
                record.id.to_string(),
                subscription_data(&after, now),
            )
            .change("active", true, false);
            match store.update_subscription(&mut record, now, &event).await {
                Ok(()) => return Ok(()),
                Err(StoreError::ConditionFailed) => {
                    match store.subscription_by_id(&read.id).await.map_err(text)? {
                        Some(fresh) => record = fresh,
                        None => return Ok(()),
                    }
                }
                Err(error) => return Err(error.to_string()),
            }
        }
        Err("the subscription kept changing".into())
    }
}

/// A draw in `[0, 1)` for a retry's jitter.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_be_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}
