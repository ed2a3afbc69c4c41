//! The `stats` queue's consumer.

pub mod aggregator;
