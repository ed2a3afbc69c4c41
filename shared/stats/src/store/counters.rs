//! Counters, moved by the events that change what they count, each event
//! at most once.
//!
//! Access patterns:
//! - count events: `TransactWriteItems` of a put of
//!   `STATS#EVENT#<event id> / COUNTED` per event on the condition that it
//!   is absent (kept 15 days, longer than a message can wait to be
//!   redelivered), and an `UpdateItem ADD count :delta` of each counter
//!   they move at `STATS / <counter>`, their changes summed (an hour
//!   bucket also sets its own expiry, two days after its hour). A
//!   redelivered event fails its put and nothing moves; the aggregator
//!   then counts the batch's events one by one.
//! - every counter: `Query pk=STATS`, strongly consistent, to the end
//!   (a few counters per status, role and workflow, and 48 hour buckets).
//! - one counter: `GetItem pk=STATS, sk=<name>`, strongly consistent.
//! - the orders' counters of a range of days: `Query pk=STATS#ORDERS, sk
//!   BETWEEN <first day> AND <last day>#~`, strongly consistent, to the
//!   end (at most two counters per status and day: 3,660 small items for
//!   the longest range of 366 days).
//!
//! Every counter lives in the one `STATS` partition: DynamoDB serves a
//! partition about 1,000 write units a second, and each item of a
//! transaction costs two. The aggregator counts a queue batch (up to ten
//! events) in one transaction, whose counters are few as the events of a
//! batch mostly move the same ones, which bounds it at about a thousand
//! counted events a second. Beyond that, split each counter over shards
//! (`STATS#<n>`) and add them up when reading.

use super::{classify, keys, n, s, Expr, Store, StoreError, StoreFuture};
use crate::domain::Delta;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

/// How long an event's mark is kept: past the longest an event can wait
/// to be counted again (14 days in the stats dead-letter queue, from which
/// an operator may redrive it).
const COUNTED_FOR: Duration = Duration::days(15);

/// Attempts at a count that another transaction on the same counters
/// keeps cancelling (`TransactionConflict`: the counters are shared, and
/// DynamoDB cancels one of two transactions that touch an item at once).
const CONFLICT_ATTEMPTS: u32 = 8;

/// What counting events did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Their deltas were applied now.
    Now,
    /// One of them had been counted before (a redelivery): nothing moved.
    Before,
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait CounterStore {
    /// Marks events `event_ids` counted and applies `deltas` (their
    /// changes summed, each counter named once) in one transaction, unless
    /// one of them was counted before: then nothing moves. At most 100
    /// marks and counters in all.
    fn count_events(
        &self,
        event_ids: &[&str],
        deltas: &[Delta],
        now: OffsetDateTime,
    ) -> impl StoreFuture<Counted>;

    /// Every counter of the `STATS` partition, by name.
    fn counters(&self) -> impl StoreFuture<BTreeMap<String, i64>>;

    /// Counter `name` of the `STATS` partition (0 when never moved).
    fn counter(&self, name: &str) -> impl StoreFuture<i64>;

    /// The orders' counters of the days `first..=last` (`YYYY-MM-DD`), by
    /// name (`orders#<day>#<status>#count`).
    fn order_counters(&self, first: &str, last: &str) -> impl StoreFuture<BTreeMap<String, i64>>;
}

/// An hour bucket's expiry: two days after its hour began.
fn bucket_expiry(counter: &str) -> Option<i64> {
    let hour = counter.strip_prefix("items.created#")?;
    let start = time::PrimitiveDateTime::parse(
        &format!("{hour}:00:00"),
        &time::format_description::well_known::Iso8601::DEFAULT,
    )
    .ok()?;
    Some((start.assume_utc() + Duration::days(2)).unix_timestamp())
}

/// Whether a transaction was cancelled because another one held an item.
fn conflicted(error: &StoreError) -> bool {
    matches!(error, StoreError::TransactionCancelled(reasons)
        if reasons.iter().any(|r| r == "TransactionConflict"))
}

/// The wait before attempt `attempt + 1`: 10 ms doubling, with up to as
/// much again at random, so that two aggregators part ways.
fn backoff(attempt: u32) -> std::time::Duration {
    let base = 10u64 << attempt.min(6);
    let jitter = opsflow_platform::clock::jitter(base);
    std::time::Duration::from_millis(base + jitter)
}

impl CounterStore for Store {
    async fn count_events(
        &self,
        event_ids: &[&str],
        deltas: &[Delta],
        now: OffsetDateTime,
    ) -> Result<Counted, StoreError> {
        let mut items = Vec::with_capacity(event_ids.len() + deltas.len());
        for event_id in event_ids {
            let mark = super::Item::from([
                ("pk".to_owned(), s(keys::counted_pk(event_id))),
                ("sk".to_owned(), s(keys::COUNTED_SK)),
                ("type".to_owned(), s("stats_mark")),
                (
                    "expires_at".to_owned(),
                    n((now + COUNTED_FOR).unix_timestamp()),
                ),
            ]);
            items.push(self.put(mark, Some(("attribute_not_exists(pk)", Vec::new())))?);
        }
        for (counter, delta) in deltas {
            let mut update = Expr::new("ADD #count :delta")
                .name("#count", "count")
                .value(":delta", n(delta));
            if let Some(expiry) = bucket_expiry(counter) {
                update.text.push_str(" SET expires_at = :expires");
                update = update.value(":expires", n(expiry));
            }
            let (pk, sk) = keys::counter_key(counter);
            items.push(self.update(pk, &sk, &update)?);
        }
        let marks = event_ids.len();
        let mut attempt = 1;
        loop {
            match self.transact(items.clone()).await {
                Ok(()) => return Ok(Counted::Now),
                Err(error) if (0..marks).any(|i| error.failed_condition_at(i)) => {
                    return Ok(Counted::Before)
                }
                Err(error) if conflicted(&error) && attempt < CONFLICT_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn counters(&self) -> Result<BTreeMap<String, i64>, StoreError> {
        let mut counters = BTreeMap::new();
        read_counters(
            self,
            keys::STATS_PK,
            None,
            |name| name.to_owned(),
            &mut counters,
        )
        .await?;
        Ok(counters)
    }

    async fn counter(&self, name: &str) -> Result<i64, StoreError> {
        let item = self
            .client()
            .get_item()
            .table_name(self.table())
            .key("pk", s(keys::STATS_PK))
            .key("sk", s(name))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(e, "GetItem"))?
            .item;
        Ok(item.as_ref().map(count_of).unwrap_or_default())
    }

    async fn order_counters(
        &self,
        first: &str,
        last: &str,
    ) -> Result<BTreeMap<String, i64>, StoreError> {
        let mut counters = BTreeMap::new();
        let range = (first.to_owned(), format!("{last}#~"));
        let named = |sk: &str| format!("{}{sk}", crate::domain::ORDERS);
        read_counters(self, keys::ORDERS_PK, Some(range), named, &mut counters).await?;
        Ok(counters)
    }
}

/// An item's `count` (0 when it has none).
fn count_of(item: &super::Item) -> i64 {
    match item.get("count") {
        Some(AttributeValue::N(count)) => count.parse().unwrap_or_default(),
        _ => 0,
    }
}

/// Every counter of partition `pk` (within the `sk` range, if given),
/// into `counters` under the name `named` makes of its `sk`.
async fn read_counters(
    store: &Store,
    pk: &str,
    range: Option<(String, String)>,
    named: impl Fn(&str) -> String,
    counters: &mut BTreeMap<String, i64>,
) -> Result<(), StoreError> {
    let mut start = None;
    loop {
        let mut query = store
            .client()
            .query()
            .table_name(store.table())
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true)
            .set_exclusive_start_key(start);
        query = match &range {
            Some((low, high)) => query
                .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
                .expression_attribute_values(":low", s(low))
                .expression_attribute_values(":high", s(high)),
            None => query.key_condition_expression("pk = :pk"),
        };
        let page = query.send().await.map_err(|e| classify(e, "Query"))?;
        for item in page.items.unwrap_or_default() {
            if let Some(AttributeValue::S(sk)) = item.get("sk") {
                counters.insert(named(sk), count_of(&item));
            }
        }
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_conflict_is_tried_again_and_the_waits_grow_but_stay_bounded() {
        let conflict =
            StoreError::TransactionCancelled(vec!["None".into(), "TransactionConflict".into()]);
        let failed =
            StoreError::TransactionCancelled(vec!["ConditionalCheckFailed".into(), "None".into()]);
        assert!(conflicted(&conflict));
        assert!(!conflicted(&failed));
        assert!(!conflicted(&StoreError::Throttled));
        for attempt in 1..CONFLICT_ATTEMPTS {
            let wait = backoff(attempt).as_millis();
            let base = 10u128 << attempt.min(6);
            assert!((base..2 * base).contains(&wait), "{attempt}: {wait} ms");
        }
    }

    #[test]
    fn an_hour_bucket_expires_two_days_after_its_hour_and_other_counters_never() {
        let expiry = bucket_expiry("items.created#2026-12-04T18").unwrap();
        let hour = time::macros::datetime!(2026-12-04 18:00 UTC);
        assert_eq!(expiry, (hour + Duration::days(2)).unix_timestamp());
        assert_eq!(bucket_expiry("items.total"), None);
        assert_eq!(bucket_expiry("items.created#nonsense"), None);
    }
}
