//! Keys of the dashboard's counters and of the events already counted.

pub use opsflow_platform::store::keys::*;

/// The partition of every counter; each counter's name is its `sk`.
pub const STATS_PK: &str = "STATS";

/// The mark that event `id` was counted (`sk = COUNTED`).
pub fn counted_pk(event_id: &str) -> String {
    format!("STATS#EVENT#{event_id}")
}

pub const COUNTED_SK: &str = "COUNTED";
