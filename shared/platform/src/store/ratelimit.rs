//! Rate limits, in two shapes.
//!
//! - Fixed-window counters (attempts and failures per source IP,
//!   registrations per source IP): one item per (scope, subject, window),
//!   changed atomically with `ADD` and expired by TTL after its window.
//!   [`Store::take_slot`] counts *before* the work it limits, with the
//!   limit in the write's condition, so concurrent requests can never pass
//!   more than the limit; a slot that turns out not to count (a login that
//!   succeeded, against a failures limit) is given back.
//! - Backoff gates (password attempts per account): one item per subject
//!   holding the attempts since the last success and when the next attempt
//!   may start. [`Store::enter_gate`] counts an attempt with a compare-and-set
//!   on the exact state it read, before the password is checked, so every
//!   verification was counted first; once the free attempts are spent each
//!   further attempt waits twice as long as the one before, up to a cap, so
//!   a stranger can slow an account down but never lock it shut.
//!
//! Access patterns:
//! - `UpdateItem`/`GetItem pk=RATE#<scope>#<subject>#<window>, sk=RATE`
//! - `GetItem`, conditional `UpdateItem`, `DeleteItem`
//!   `pk=GATE#<scope>#<subject>, sk=GATE`

use super::{keys, n, s, Store, StoreError};
use time::{Duration, OffsetDateTime};

/// A counter's state after a read or a bump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    pub count: u32,
    /// Seconds until the window ends (for `Retry-After`), at least 1.
    pub resets_in: u64,
}

fn window(now: OffsetDateTime, window_secs: u64) -> (u64, u64) {
    let now = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let window_secs = window_secs.max(1);
    let index = now / window_secs;
    let resets_in = ((index + 1) * window_secs).saturating_sub(now).max(1);
    (index, resets_in)
}

impl Store {
    /// Adds one to the counter and returns the new count.
    #[tracing::instrument(skip(self, subject))]
    pub async fn bump_counter(
        &self,
        scope: &str,
        subject: &str,
        window_secs: u64,
        now: OffsetDateTime,
    ) -> Result<WindowCount, StoreError> {
        let (index, resets_in) = window(now, window_secs);
        let expires_at = now.unix_timestamp() + i64::try_from(resets_in).unwrap_or(0);
        let output = self
            .client()
            .update_item()
            .table_name(&self.table)
            .key("pk", s(keys::rate_pk(scope, subject, index)))
            .key("sk", s(keys::RATE_SK))
            .update_expression(
                "ADD #count :one SET expires_at = if_not_exists(expires_at, :exp), #type = :type",
            )
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#type", "type")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(expires_at))
            .expression_attribute_values(":type", s("rate_counter"))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| super::classify(e, "UpdateItem"))?;
        let count = output
            .attributes
            .and_then(|a| a.get("count").and_then(|v| v.as_n().ok()).cloned())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok(WindowCount { count, resets_in })
    }

    /// Adds one to a counter that is still at `previous`, and commits
    /// `event` with it: the event of a threshold crossed, recorded exactly
    /// when the crossing is. A counter that moved meanwhile is
    /// `ConditionFailed` (someone else crossed, or will).
    #[tracing::instrument(skip(self, subject, event))]
    pub async fn bump_counter_with_event(
        &self,
        scope: &str,
        subject: &str,
        window_secs: u64,
        now: OffsetDateTime,
        previous: u32,
        event: &crate::events::Envelope,
    ) -> Result<(), StoreError> {
        let (index, resets_in) = window(now, window_secs);
        let expires_at = now.unix_timestamp() + i64::try_from(resets_in).unwrap_or(0);
        let condition = if previous == 0 {
            "attribute_not_exists(pk)"
        } else {
            "#count = :previous"
        };
        let mut update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.table)
            .key("pk", s(keys::rate_pk(scope, subject, index)))
            .key("sk", s(keys::RATE_SK))
            .update_expression(
                "ADD #count :one SET expires_at = if_not_exists(expires_at, :exp), #type = :type",
            )
            .condition_expression(condition)
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#type", "type")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(expires_at))
            .expression_attribute_values(":type", s("rate_counter"));
        if previous > 0 {
            update = update.expression_attribute_values(":previous", n(previous));
        }
        let update = update
            .build()
            .map_err(|e| StoreError::Other(anyhow::Error::new(e).context("building an Update")))?;
        let items = vec![
            aws_sdk_dynamodb::types::TransactWriteItem::builder()
                .update(update)
                .build(),
            self.put(crate::events::OutboxItem::new(event)?.to_item()?, None)?,
        ];
        match self.transact(items).await {
            Err(error) if error.failed_condition_at(0) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }

    /// The counter's current value in this window.
    pub async fn read_counter(
        &self,
        scope: &str,
        subject: &str,
        window_secs: u64,
        now: OffsetDateTime,
    ) -> Result<WindowCount, StoreError> {
        #[derive(serde::Deserialize)]
        struct Counter {
            count: u32,
        }
        let (index, resets_in) = window(now, window_secs);
        let counter: Option<Counter> = self
            .get(keys::rate_pk(scope, subject, index), keys::RATE_SK)
            .await?;
        Ok(WindowCount {
            count: counter.map_or(0, |c| c.count),
            resets_in,
        })
    }
}

/// A slot taken from a fixed-window limit, to give back if the attempt
/// turns out not to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pk: String,
}

/// The answer of [`Store::take_slot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotTaken {
    Taken(Slot),
    /// The window's limit is reached; it resets in `resets_in` seconds.
    Full {
        resets_in: u64,
    },
}

/// How a backoff gate opens: `free_attempts` attempts go through at once;
/// after attempt `n ≥ free_attempts` the next one waits
/// `unit × 2^(n − free_attempts)`, at most `max_delay`. The attempts are
/// forgotten `forget_after` after the last one, and at once by a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub free_attempts: u32,
    pub unit: Duration,
    pub max_delay: Duration,
    pub forget_after: Duration,
}

impl Backoff {
    /// How long the attempt after the `attempts`-th must wait.
    pub fn delay_after(&self, attempts: u32) -> Duration {
        if attempts < self.free_attempts {
            return Duration::ZERO;
        }
        let doublings = attempts - self.free_attempts;
        if doublings > 30 {
            return self.max_delay;
        }
        self.unit
            .checked_mul(1_i32 << doublings)
            .map_or(self.max_delay, |delay| delay.min(self.max_delay))
    }
}

/// The answer of [`Store::enter_gate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Go ahead: this is attempt number `attempt` since the last success.
    Open { attempt: u32 },
    /// Wait `retry_after` seconds (at least 1).
    Closed { retry_after: u64 },
}

#[derive(Debug, serde::Deserialize)]
struct GateState {
    attempts: u32,
    last_at_ms: i64,
    open_at_ms: i64,
}

fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn whole_millis(duration: Duration) -> i64 {
    i64::try_from(duration.whole_milliseconds()).unwrap_or(i64::MAX)
}

/// Seconds to wait until `open_at_ms`, rounded up, at least 1.
fn seconds_until(open_at_ms: i64, now_ms: i64) -> u64 {
    let wait = open_at_ms.saturating_sub(now_ms).max(1);
    u64::try_from((wait + 999) / 1000).unwrap_or(1).max(1)
}

/// How often a gate's compare-and-set is retried when other attempts
/// change it between the read and the write.
const GATE_RACES: usize = 8;

impl Store {
    /// Takes one slot of a fixed-window limit: adds one to the window's
    /// counter if it is below `limit`, in one conditional write.
    #[tracing::instrument(skip(self, subject))]
    pub async fn take_slot(
        &self,
        scope: &str,
        subject: &str,
        window_secs: u64,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<SlotTaken, StoreError> {
        let (index, resets_in) = window(now, window_secs);
        let expires_at = now.unix_timestamp() + i64::try_from(resets_in).unwrap_or(0);
        let pk = keys::rate_pk(scope, subject, index);
        let result = self
            .client()
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s(keys::RATE_SK))
            .update_expression(
                "ADD #count :one SET expires_at = if_not_exists(expires_at, :exp), #type = :type",
            )
            .condition_expression("attribute_not_exists(#count) OR #count < :limit")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#type", "type")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(":exp", n(expires_at))
            .expression_attribute_values(":type", s("rate_counter"))
            .send()
            .await
            .map_err(|e| super::classify(e, "UpdateItem"));
        match result {
            Ok(_) => Ok(SlotTaken::Taken(Slot { pk })),
            Err(StoreError::ConditionFailed) => Ok(SlotTaken::Full { resets_in }),
            Err(error) => Err(error),
        }
    }

    /// Gives a slot back to its window (never below zero).
    #[tracing::instrument(skip_all)]
    pub async fn give_back(&self, slot: &Slot) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&slot.pk))
            .key("sk", s(keys::RATE_SK))
            .update_expression("ADD #count :minus_one")
            .condition_expression("#count > :zero")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":minus_one", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(|e| super::classify(e, "UpdateItem"));
        match result {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Counts an attempt at the gate of `subject`, if the gate is open. The
    /// count is a compare-and-set on the state read, so concurrent attempts
    /// are numbered one by one and each sees the delay its predecessors set.
    #[tracing::instrument(skip(self, subject, policy))]
    pub async fn enter_gate(
        &self,
        scope: &str,
        subject: &str,
        policy: &Backoff,
        now: OffsetDateTime,
    ) -> Result<Gate, StoreError> {
        let pk = keys::gate_pk(scope, subject);
        let now_ms = millis(now);
        for race in 0..GATE_RACES {
            // Most attempts find no gate (the last one succeeded): the first
            // try assumes so, and its condition checks it, saving a read.
            let stored: Option<GateState> = if race == 0 {
                None
            } else {
                self.get(pk.clone(), keys::GATE_SK).await?
            };
            let forgotten = |state: &GateState| {
                state
                    .last_at_ms
                    .saturating_add(whole_millis(policy.forget_after))
                    <= now_ms
            };
            let attempts = match &stored {
                Some(state) if !forgotten(state) => {
                    if state.open_at_ms > now_ms {
                        return Ok(Gate::Closed {
                            retry_after: seconds_until(state.open_at_ms, now_ms),
                        });
                    }
                    state.attempts
                }
                _ => 0,
            };
            let attempt = attempts.saturating_add(1);
            // A free attempt leaves the gate open for everyone (0), whatever
            // their clocks say; a delay opens it at a time.
            let delay = policy.delay_after(attempt);
            let open_at_ms = if delay.is_zero() {
                0
            } else {
                now_ms.saturating_add(whole_millis(delay))
            };
            let expires_at =
                now.unix_timestamp() + (policy.max_delay + policy.forget_after).whole_seconds() + 1;
            let mut update = self
                .client()
                .update_item()
                .table_name(&self.table)
                .key("pk", s(&pk))
                .key("sk", s(keys::GATE_SK))
                .update_expression(
                    "SET attempts = :attempt, last_at_ms = :now, open_at_ms = :open, \
                     expires_at = :exp, #type = :type",
                )
                .expression_attribute_names("#type", "type")
                .expression_attribute_values(":attempt", n(attempt))
                .expression_attribute_values(":now", n(now_ms))
                .expression_attribute_values(":open", n(open_at_ms))
                .expression_attribute_values(":exp", n(expires_at))
                .expression_attribute_values(":type", s("backoff_gate"));
            update = match &stored {
                None => update.condition_expression("attribute_not_exists(pk)"),
                Some(state) => update
                    .condition_expression("attempts = :seen AND last_at_ms = :seen_at")
                    .expression_attribute_values(":seen", n(state.attempts))
                    .expression_attribute_values(":seen_at", n(state.last_at_ms)),
            };
            match update
                .send()
                .await
                .map_err(|e| super::classify(e, "UpdateItem"))
            {
                Ok(_) => return Ok(Gate::Open { attempt }),
                // Another attempt got in first: read its state and decide again.
                Err(StoreError::ConditionFailed) => continue,
                Err(error) => return Err(error),
            }
        }
        Ok(Gate::Closed { retry_after: 1 })
    }

    /// Forgets the attempts at a gate (the right password was given).
    #[tracing::instrument(skip(self, subject))]
    pub async fn reset_gate(&self, scope: &str, subject: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(keys::gate_pk(scope, subject)))
            .key("sk", s(keys::GATE_SK))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| super::classify(e, "DeleteItem"))
    }
}

#[cfg(test)]
#[path = "ratelimit_tests.rs"]
mod tests;
