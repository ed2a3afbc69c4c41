//! The dashboard's counters in the entity table. Access patterns are
//! written in `counters.rs`.

pub use opsflow_platform::store::*;

pub mod counters;
pub mod keys;

pub use counters::{Counted, CounterStore};
