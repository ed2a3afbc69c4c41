//! The stats module's use cases: count an event (the aggregator's, the
//! only writer of counters), show the dashboard and the order analytics.

use crate::domain::{
    dashboard as shown, date_text, deltas, order_analytics as order_analytics_of, Delta, LOW_STOCK,
};
use crate::store::{Counted, CounterStore, Store, StoreError};
use crate::view::{Dashboard, OrderAnalytics};
use opsflow_platform::clock;
use serde_json::Value;
use std::collections::BTreeMap;
use time::Date;

/// What counting one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Its counters moved.
    Counted,
    /// It had been counted before: nothing moved.
    Duplicate,
    /// It counts nothing.
    Ignored,
}

/// What an event moves: its id and its deltas (each counter once), or
/// `None` when it counts nothing. An envelope without an `id` is an error.
fn countable(envelope: &Value) -> Result<Option<(String, Vec<Delta>)>, StoreError> {
    let id = envelope
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| StoreError::Other(anyhow::anyhow!("an event without an id")))?;
    let merged = merged(deltas(envelope));
    Ok((!merged.is_empty()).then(|| (id.to_owned(), merged)))
}

/// Counts `envelope` (an event as the queues carry it) once, whatever how
/// often it is delivered.
pub async fn count(store: &Store, envelope: &Value) -> Result<Outcome, StoreError> {
    count_one(store, countable(envelope)?).await
}

/// Counts what [`countable`] found of one event.
async fn count_one(
    store: &Store,
    found: Option<(String, Vec<Delta>)>,
) -> Result<Outcome, StoreError> {
    let Some((id, deltas)) = found else {
        return Ok(Outcome::Ignored);
    };
    Ok(
        match store.count_events(&[&id], &deltas, clock::now()).await? {
            Counted::Now => Outcome::Counted,
            Counted::Before => Outcome::Duplicate,
        },
    )
}

/// The most events counted in one transaction: a queue batch (their marks
/// and counters stay well within a transaction's 100 items).
const TOGETHER: usize = 10;

/// Counts `envelopes` (a queue batch), each once: together in one
/// transaction when none of them was counted before, else one by one. The
/// outcome of each, in order.
pub async fn count_all(store: &Store, envelopes: &[Value]) -> Vec<Result<Outcome, StoreError>> {
    let found: Vec<_> = envelopes.iter().map(countable).collect();
    let mut ids: Vec<&str> = Vec::new();
    let mut all: Vec<Delta> = Vec::new();
    for (id, deltas) in found.iter().flatten().flatten() {
        if !ids.contains(&id.as_str()) {
            ids.push(id);
            all.extend(deltas.iter().cloned());
        }
    }
    let together = (2..=TOGETHER).contains(&ids.len())
        && matches!(
            store.count_events(&ids, &merged(all), clock::now()).await,
            Ok(Counted::Now)
        );
    let mut outcomes = Vec::with_capacity(found.len());
    let mut seen: Vec<String> = Vec::new();
    for found in found {
        outcomes.push(match found {
            Err(error) => Err(error),
            Ok(None) => Ok(Outcome::Ignored),
            Ok(Some((id, _))) if together && seen.contains(&id) => Ok(Outcome::Duplicate),
            Ok(Some((id, _))) if together => {
                seen.push(id);
                Ok(Outcome::Counted)
            }
            // One by one: a single event, or a batch holding a redelivery.
            Ok(some) => count_one(store, some).await,
        });
    }
    outcomes
}

/// Each counter once, its deltas summed; those that cancel out dropped.
fn merged(deltas: Vec<Delta>) -> Vec<Delta> {
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for (counter, delta) in deltas {
        *sums.entry(counter).or_default() += delta;
    }
    sums.into_iter().filter(|(_, sum)| *sum != 0).collect()
}

/// The order analytics of the days `from..=to` (UTC) as the counters stand
/// now: two reads, whatever the number of orders.
pub async fn order_analytics(
    store: &Store,
    from: Date,
    to: Date,
) -> Result<OrderAnalytics, StoreError> {
    let (first, last) = (date_text(from), date_text(to));
    let (counters, low_stock) = tokio::try_join!(
        store.order_counters(&first, &last),
        store.counter(LOW_STOCK),
    )?;
    Ok(order_analytics_of(&counters, low_stock, from, to))
}

/// The dashboard as the counters stand now.
pub async fn dashboard(store: &Store) -> Result<Dashboard, StoreError> {
    Ok(shown(&store.counters().await?, clock::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_of_one_counter_are_summed_and_cancelled_ones_dropped() {
        let deltas = vec![
            ("a".to_owned(), 1),
            ("b".to_owned(), 1),
            ("a".to_owned(), 1),
            ("b".to_owned(), -1),
        ];
        assert_eq!(merged(deltas), [("a".to_owned(), 2)]);
    }
}
