//! The stats module's use cases: count an event (the aggregator's, the
//! only writer of counters) and show the dashboard.

use crate::domain::{dashboard as shown, deltas, Delta};
use crate::store::{Counted, CounterStore, Store, StoreError};
use crate::view::Dashboard;
use opsflow_platform::clock;
use serde_json::Value;
use std::collections::BTreeMap;

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

/// Counts `envelope` (an event as the queues carry it) once, whatever how
/// often it is delivered. An envelope without an `id` is an error.
pub async fn count(store: &Store, envelope: &Value) -> Result<Outcome, StoreError> {
    let id = envelope
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| StoreError::Other(anyhow::anyhow!("an event without an id")))?;
    let merged = merged(deltas(envelope));
    if merged.is_empty() {
        return Ok(Outcome::Ignored);
    }
    Ok(match store.count_event(id, &merged, clock::now()).await? {
        Counted::Now => Outcome::Counted,
        Counted::Before => Outcome::Duplicate,
    })
}

/// Each counter once, its deltas summed; those that cancel out dropped.
fn merged(deltas: Vec<Delta>) -> Vec<Delta> {
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for (counter, delta) in deltas {
        *sums.entry(counter).or_default() += delta;
    }
    sums.into_iter().filter(|(_, sum)| *sum != 0).collect()
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
