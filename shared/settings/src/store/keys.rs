//! Keys of settings.

pub use opsflow_platform::store::keys::*;

pub const SETTING_SK: &str = "SETTING";

/// A setting's partition (`sk = SETTING`), by its key (`app.name`).
pub fn setting_pk(key: &str) -> String {
    format!("SETTING#{key}")
}
