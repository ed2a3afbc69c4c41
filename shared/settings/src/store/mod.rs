//! Settings in the entity table. Access patterns are written in
//! `settings.rs`.

pub use opsflow_platform::store::*;

pub mod keys;
pub mod settings;

pub use settings::{SettingRecord, SettingStore};
