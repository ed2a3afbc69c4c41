//! What clients see of a setting, which is also what its events carry as
//! `data`: its definition beside its value, and who last set it.

use crate::domain::Definition;
use crate::store::SettingRecord;
use opsflow_platform::domain::EntityId;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// A setting as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingView {
    /// The key (`app.name`).
    pub key: &'static str,
    /// The value: its default until an admin sets it.
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub value: Value,
    /// `string`, `boolean` or `integer`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub description: &'static str,
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub default: Value,
    /// Whether it still has its default (never set).
    pub is_default: bool,
    /// Who set it last (`null` while it has its default).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = "uuid"))]
    pub updated_by: Option<EntityId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    /// 0 while it has its default; `If-Match` takes it.
    pub version: u64,
}

pub fn setting_view(definition: &Definition, record: Option<&SettingRecord>) -> SettingView {
    let default = definition.default.value();
    SettingView {
        key: definition.key,
        value: record.map_or_else(|| default.clone(), SettingRecord::value),
        kind: definition.kind.name(),
        description: definition.description,
        default,
        is_default: record.is_none(),
        updated_by: record.map(|r| r.updated_by),
        updated_at: record.map(|r| r.updated_at),
        version: record.map_or(0, |r| r.version),
    }
}

/// [`setting_view`] as an event's `data`.
pub fn setting_data(definition: &Definition, record: Option<&SettingRecord>) -> Value {
    serde_json::to_value(setting_view(definition, record)).unwrap_or(Value::Null)
}
