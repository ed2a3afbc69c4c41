//! What clients see of an account, which is also what user events carry as
//! `data`. Storage records (with their password hashes and keys) never
//! leave the module.

use crate::domain::User;
use serde::Serialize;
use time::OffsetDateTime;

/// A user account as clients see it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    /// The account's id (a UUIDv7).
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub id: String,
    /// The e-mail address, trimmed and lower-cased; unique.
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: String,
    /// The display name: 1–100 characters, trimmed, no control characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = opsflow_platform::openapi::RoleName))]
    pub role: String,
    /// Whether the account may sign in; deactivated accounts are kept.
    pub is_active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Raised by every change; what `If-Match` and `version` name.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub version: u64,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.to_string(),
            name: user.name.as_str().to_owned(),
            role: user.role.to_string(),
            is_active: user.is_active,
            created_at: user.created_at,
            updated_at: user.updated_at,
            version: user.version,
        }
    }
}

impl UserView {
    /// The view as an event's `data`.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}
