//! Keys of the dashboard's counters and of the events already counted.

pub use opsflow_platform::store::keys::*;

/// The partition of every counter; each counter's name is its `sk`.
pub const STATS_PK: &str = "STATS";

/// The mark that event `id` was counted (`sk = COUNTED`).
pub fn counted_pk(event_id: &str) -> String {
    format!("STATS#EVENT#{event_id}")
}

pub const COUNTED_SK: &str = "COUNTED";

/// The partition of the orders' counters by day; each one's `sk` is its
/// name past `orders#` (`<day>#<status>#count`), so that a range of days
/// is a range of sort keys.
pub const ORDERS_PK: &str = "STATS#ORDERS";

/// Where counter `name` lives: `(pk, sk)`.
pub fn counter_key(name: &str) -> (String, String) {
    match name.strip_prefix(crate::domain::ORDERS) {
        Some(rest) => (ORDERS_PK.to_owned(), rest.to_owned()),
        None => (STATS_PK.to_owned(), name.to_owned()),
    }
}
