//! Fixed-window counters for rate limits (login attempts per source IP,
//! failed logins per e-mail). One item per (scope, subject, window), bumped
//! atomically with `ADD` and expired by TTL after its window.
//!
//! Access pattern: `UpdateItem`/`GetItem pk=RATE#<scope>#<subject>#<window>, sk=RATE`.

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
            .client
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_report_the_seconds_left() {
        let at = |secs| OffsetDateTime::from_unix_timestamp(secs).unwrap();
        assert_eq!(window(at(600), 300), (2, 300));
        assert_eq!(window(at(899), 300), (2, 1));
        assert_eq!(window(at(900), 300), (3, 300));
    }
}
