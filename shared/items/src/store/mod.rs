//! Items in the entity table, and the links that list them in every order
//! a client may ask for. Access patterns are written in `items.rs`.

pub use opsflow_platform::store::*;

pub mod items;
pub mod keys;

pub use items::{ItemFilter, ItemRecord, ItemStore};
