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

mod gate;

#[cfg(test)]
use gate::seconds_until;
pub use gate::{Backoff, Gate};

use super::error::built;
use super::{keys, n, s, Store, StoreError};
use time::OffsetDateTime;

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
    pub async fn bump_counter(
        &self,
        scope: &str,
        subject: &str,
        window_secs: u64,
        now: OffsetDateTime,
    ) -> Result<WindowCount, StoreError> {
        self.bump_counter_kept(scope, subject, window_secs, 0, now)
            .await
    }

    /// [`Self::bump_counter`], the counter kept `keep_secs` past the end of
    /// its window (for readers of the windows before the current one).
    #[tracing::instrument(skip(self, subject))]
    pub async fn bump_counter_kept(
        &self,
        scope: &str,
        subject: &str,
        window_secs: u64,
        keep_secs: u64,
        now: OffsetDateTime,
    ) -> Result<WindowCount, StoreError> {
        crate::auth::gate::cleared().await?;
        let (index, resets_in) = window(now, window_secs);
        let expires_at =
            now.unix_timestamp() + i64::try_from(resets_in.saturating_add(keep_secs)).unwrap_or(0);
        let output = self
            .update_at(keys::rate_pk(scope, subject, index), keys::RATE_SK)
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
        let update = built(update.build(), "an Update")?;
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
        crate::auth::gate::cleared().await?;
        let (index, resets_in) = window(now, window_secs);
        let expires_at = now.unix_timestamp() + i64::try_from(resets_in).unwrap_or(0);
        let pk = keys::rate_pk(scope, subject, index);
        let result = self
            .update_at(&pk, keys::RATE_SK)
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
        crate::auth::gate::cleared().await?;
        let result = self
            .update_at(&slot.pk, keys::RATE_SK)
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
}

#[cfg(test)]
#[path = "ratelimit_tests.rs"]
mod tests;
