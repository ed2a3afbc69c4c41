//! What clients see of an item, which is also what its events carry as
//! `data`.

use crate::store::ItemRecord;
use opsflow_platform::domain::EntityId;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// An item as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub id: EntityId,
    pub name: String,
    pub description: String,
    /// `active`, `inactive` or `archived`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::ItemStatus))]
    pub status: &'static str,
    /// The client's own data: a JSON object.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metadata: Value,
    /// Who created it; they and admins may change it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub owner_id: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

pub fn item_view(record: &ItemRecord) -> ItemView {
    ItemView {
        id: record.id,
        name: record.name.as_str().to_owned(),
        description: record.description.as_str().to_owned(),
        status: record.status.as_str(),
        metadata: record.metadata.as_value().clone(),
        owner_id: record.owner_id,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    }
}

/// [`item_view`] as an event's `data`.
pub fn item_data(record: &ItemRecord) -> Value {
    serde_json::to_value(item_view(record)).unwrap_or(Value::Null)
}
