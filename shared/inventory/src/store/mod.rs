//! SKUs in the entity table. Access patterns are written in `skus.rs`.

pub use opsflow_platform::store::*;

pub mod skus;

pub use skus::{SkuRecord, SkuStore};
