//! Orders and their timelines in the entity table. Access patterns are
//! written in `orders.rs`.

pub use opsflow_platform::store::*;

pub mod orders;

pub use orders::{Hold, OrderLine, OrderRecord, OrderStore, TimelineEntry};
