//! Backoff gates (password attempts per account): one item per subject,
//! `pk=GATE#<scope>#<subject>, sk=GATE`, holding the attempts since the last
//! success and when the next attempt may start. An attempt is counted by a
//! compare-and-set on the exact state read, before the work it guards, so
//! every attempt is counted and numbered one by one; the delay is capped, so
//! a gate slows an account down but never locks it shut.

use super::super::{keys, n, s, Store, StoreError};
use time::{Duration, OffsetDateTime};

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

fn whole_millis(duration: Duration) -> i64 {
    i64::try_from(duration.whole_milliseconds()).unwrap_or(i64::MAX)
}

/// Seconds to wait until `open_at_ms`, rounded up, at least 1.
pub(super) fn seconds_until(open_at_ms: i64, now_ms: i64) -> u64 {
    let wait = open_at_ms.saturating_sub(now_ms).max(1);
    u64::try_from((wait + 999) / 1000).unwrap_or(1).max(1)
}

/// How often a gate's compare-and-set is retried when other attempts
/// change it between the read and the write.
const GATE_RACES: usize = 8;

impl Store {
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
        crate::auth::gate::cleared().await?;
        let pk = keys::gate_pk(scope, subject);
        let now_ms = crate::clock::epoch_millis(now);
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
                .update_at(&pk, keys::GATE_SK)
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
                .map_err(|e| super::super::classify(e, "UpdateItem"))
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
        crate::auth::gate::cleared().await?;
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(keys::gate_pk(scope, subject)))
            .key("sk", s(keys::GATE_SK))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| super::super::classify(e, "DeleteItem"))
    }
}
