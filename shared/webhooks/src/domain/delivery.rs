//! A delivery: one event (or one rule's notification) on its way to one
//! subscription, and the attempts made at it.
//!
//! ```text
//! Pending ──attempt──▶ Delivered
//!    │  ▲                            (a 2xx)
//!    │  └── Retrying ──attempt──▶ Delivered | Retrying | Failed
//!    └──────attempt──▶ Failed        (not retryable, or the last attempt)
//! ```
//!
//! A subscription counts its deliveries that failed in a row; the
//! [`DISABLE_AFTER`]th disables it, and a delivered one resets the count.
//!
//! Invariant: `Delivered` and `Failed` are final: no attempt is recorded
//! after them, and every recorded attempt is kept, in order, with what the
//! receiver answered (its first [`EXCERPT_BYTES`] bytes).

use super::retry::{verdict, Attempt, Verdict, ATTEMPTS};
use opsflow_platform::domain::EntityId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How much of a receiver's answer is kept per attempt.
pub const EXCERPT_BYTES: usize = 1024;
/// Deliveries failed in a row that disable a subscription.
pub const DISABLE_AFTER: u32 = 15;

/// Where a delivery stands: `pending` until its first attempt, `retrying`
/// while another is due (`next_attempt_at`), then `delivered` (a 2xx) or
/// `failed` (an answer not worth retrying, the last attempt, or its
/// subscription turned off), both final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    Pending,
    Retrying,
    Delivered,
    Failed,
}

impl Status {
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Failed)
    }
}

/// One attempt, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub at: OffsetDateTime,
    pub ended: Attempt,
    pub latency_ms: u64,
    /// The start of the answer's body, cut at a character boundary.
    pub excerpt: String,
}

impl AttemptRecord {
    pub fn new(at: OffsetDateTime, ended: Attempt, latency_ms: u64, body: &[u8]) -> Self {
        Self {
            at,
            ended,
            latency_ms,
            excerpt: excerpt(body),
        }
    }
}

/// The first [`EXCERPT_BYTES`] bytes of `body` as text, never splitting a
/// character (invalid UTF-8 is replaced).
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_BYTES + 4)]);
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// The id of the delivery of message `message` (an event or a rule's
/// notice) to `subscription`, made at `at` (the message's time): the same
/// inputs always give the same id, so a repeated fan-out finds the
/// delivery it already made, and ids sort by the message's time.
pub fn delivery_id(message: &EntityId, subscription: &EntityId, at: OffsetDateTime) -> EntityId {
    let millis = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    EntityId::derived(
        millis,
        &[
            message.to_string().as_bytes(),
            subscription.to_string().as_bytes(),
        ],
    )
}

/// An attempt recorded on a delivery that had already ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the delivery has already ended ({0:?})")]
pub struct AlreadyEnded(pub Status);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    status: Status,
    attempts: Vec<AttemptRecord>,
    /// When the next attempt is due, while `Retrying`.
    next_attempt_at: Option<OffsetDateTime>,
}

impl Default for Delivery {
    fn default() -> Self {
        Self::new()
    }
}

impl Delivery {
    pub fn new() -> Self {
        Self {
            status: Status::Pending,
            attempts: Vec::new(),
            next_attempt_at: None,
        }
    }

    /// A delivery as stored: its status, its attempts so far and, while
    /// retrying, when the next is due.
    pub fn restore(
        status: Status,
        attempts: Vec<AttemptRecord>,
        next_attempt_at: Option<OffsetDateTime>,
    ) -> Self {
        Self {
            status,
            attempts,
            next_attempt_at: next_attempt_at.filter(|_| status == Status::Retrying),
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// Ends a delivery that will not be attempted again although it could
    /// have been (its subscription was turned off): `Failed`, no attempt
    /// recorded. A final delivery stays as it is.
    pub fn abandon(&mut self) -> Status {
        if !self.status.is_final() {
            self.status = Status::Failed;
            self.next_attempt_at = None;
        }
        self.status
    }

    pub fn attempts(&self) -> &[AttemptRecord] {
        &self.attempts
    }

    pub fn next_attempt_at(&self) -> Option<OffsetDateTime> {
        self.next_attempt_at
    }

    /// Records an attempt and moves the delivery on; `jitter` is a random
    /// draw in `[0, 1)` for the next attempt's delay.
    pub fn record(&mut self, attempt: AttemptRecord, jitter: f64) -> Result<Status, AlreadyEnded> {
        if self.status.is_final() {
            return Err(AlreadyEnded(self.status));
        }
        let number = u32::try_from(self.attempts.len()).unwrap_or(ATTEMPTS) + 1;
        let at = attempt.at;
        let ended = attempt.ended;
        self.attempts.push(attempt);
        (self.status, self.next_attempt_at) = match verdict(number, ended, jitter) {
            Verdict::Delivered => (Status::Delivered, None),
            Verdict::Failed => (Status::Failed, None),
            Verdict::RetryAfter(delay) => (Status::Retrying, Some(at + delay)),
        };
        Ok(self.status)
    }
}

/// A subscription's health: how many of its deliveries failed in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Health {
    pub failed_in_a_row: u32,
}

impl Health {
    /// The health after a delivery ended as `status`, and whether the
    /// subscription is to be disabled now.
    pub fn after(self, status: Status) -> (Self, bool) {
        match status {
            Status::Delivered => (Self::default(), false),
            Status::Failed => {
                let failed_in_a_row = self.failed_in_a_row.saturating_add(1);
                (Self { failed_in_a_row }, failed_in_a_row == DISABLE_AFTER)
            }
            Status::Pending | Status::Retrying => (self, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    const START: OffsetDateTime = datetime!(2026-12-03 10:00 UTC);

    fn attempt(ended: Attempt) -> AttemptRecord {
        AttemptRecord::new(START, ended, 120, b"ok")
    }

    #[test]
    fn pending_ends_at_once_delivered_on_a_2xx_or_failed_on_an_answer_not_worth_retrying() {
        for (answer, ended) in [(204, Status::Delivered), (410, Status::Failed)] {
            let mut delivery = Delivery::new();
            let status = delivery.record(attempt(Attempt::Answered(answer)), 0.5);
            assert_eq!(status, Ok(ended), "{answer}");
            assert_eq!(delivery.next_attempt_at(), None);
            assert_eq!(delivery.attempts().len(), 1);
        }
    }

    #[test]
    fn pending_to_retrying_then_delivered_with_every_attempt_kept() {
        let mut delivery = Delivery::new();
        let steps = [
            (500, Status::Retrying, Some(START + Duration::seconds(5))),
            (500, Status::Retrying, Some(START + Duration::minutes(1))),
            (200, Status::Delivered, None),
        ];
        for (answer, status, next) in steps {
            let recorded = delivery.record(attempt(Attempt::Answered(answer)), 0.5);
            assert_eq!(recorded, Ok(status), "{answer}");
            assert_eq!(delivery.next_attempt_at(), next, "{answer}");
        }
        let answers: Vec<_> = delivery.attempts().iter().map(|a| a.ended).collect();
        assert_eq!(
            answers,
            [500, 500, 200].map(Attempt::Answered).to_vec(),
            "every attempt, in order"
        );
    }

    #[test]
    fn retrying_to_failed_after_the_last_attempt() {
        let mut delivery = Delivery::new();
        for _ in 1..ATTEMPTS {
            assert_eq!(
                delivery.record(attempt(Attempt::TimedOut), 0.5),
                Ok(Status::Retrying)
            );
        }
        assert_eq!(
            delivery.record(attempt(Attempt::TimedOut), 0.5),
            Ok(Status::Failed)
        );
        assert_eq!(delivery.attempts().len(), ATTEMPTS as usize);
    }

    #[test]
    fn pending_or_retrying_to_failed_when_abandoned_and_final_states_stay() {
        let mut retrying = Delivery::new();
        retrying.record(attempt(Attempt::TimedOut), 0.5).unwrap();
        assert_eq!(retrying.abandon(), Status::Failed);
        assert_eq!(retrying.next_attempt_at(), None);
        assert_eq!(retrying.attempts().len(), 1);
        assert_eq!(Delivery::new().abandon(), Status::Failed);
        let mut delivered = Delivery::new();
        delivered
            .record(attempt(Attempt::Answered(200)), 0.5)
            .unwrap();
        assert_eq!(delivered.abandon(), Status::Delivered);
    }

    #[test]
    fn a_restored_delivery_goes_on_from_its_attempts() {
        let mut delivery = Delivery::new();
        delivery.record(attempt(Attempt::TimedOut), 0.5).unwrap();
        let mut restored = Delivery::restore(
            delivery.status(),
            delivery.attempts().to_vec(),
            delivery.next_attempt_at(),
        );
        assert_eq!(restored, delivery);
        restored.record(attempt(Attempt::TimedOut), 0.5).unwrap();
        assert_eq!(
            restored.next_attempt_at(),
            Some(START + Duration::minutes(1)),
            "the second retry's delay"
        );
    }

    #[test]
    fn nothing_is_recorded_after_a_final_status() {
        for first in [Attempt::Answered(200), Attempt::Refused] {
            let mut delivery = Delivery::new();
            let ended = delivery.record(attempt(first), 0.5).unwrap();
            assert_eq!(
                delivery.record(attempt(Attempt::Answered(200)), 0.5),
                Err(AlreadyEnded(ended))
            );
            assert_eq!(delivery.attempts().len(), 1);
        }
    }

    #[test]
    fn a_subscription_is_disabled_by_its_fifteenth_failure_in_a_row() {
        let mut health = Health::default();
        for _ in 1..DISABLE_AFTER {
            let disable;
            (health, disable) = health.after(Status::Failed);
            assert!(!disable);
        }
        let (after, disable) = health.after(Status::Failed);
        assert!(disable);
        assert_eq!(after.failed_in_a_row, DISABLE_AFTER);
        // A delivery in between starts the count again.
        assert_eq!(health.after(Status::Delivered), (Health::default(), false));
        assert_eq!(health.after(Status::Retrying), (health, false));
    }

    #[test]
    fn an_excerpt_keeps_the_first_kibibyte_without_splitting_a_character() {
        assert_eq!(excerpt(b"short"), "short");
        let long = "é".repeat(EXCERPT_BYTES);
        let kept = excerpt(long.as_bytes());
        assert_eq!(kept.len(), EXCERPT_BYTES);
        assert!(kept.chars().all(|c| c == 'é'));
        let odd = format!("x{long}");
        assert_eq!(excerpt(odd.as_bytes()).len(), EXCERPT_BYTES - 1);
        assert_eq!(excerpt(&[0xff, b'a']), "\u{fffd}a");
    }
}
