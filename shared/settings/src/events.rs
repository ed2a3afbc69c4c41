//! The settings module's event type: a setting's new value, with the old
//! one in `changes`, through the outbox like every change (so the audit
//! log records who changed what).

pub use opsflow_platform::events::*;

/// The entity kind of setting events; their `entity_id` is the key.
pub const SETTING: &str = "setting";
/// `changes.value` is `[before, after]` (before: the default when it was
/// never set).
pub const SETTING_UPDATED: &str = "setting.updated";
