//! What clients see of an audit record: every field of the stored record,
//! as `GET /api/v1/auditLogs` lists it. Records never change, so neither does a
//! record's view.

use crate::store::audit::{AuditRecord, AuditSource};
use serde::Serialize;
use serde_json::Value;

/// An audit record as the API shows it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditLogView {
    /// The id of the event the record is about (a UUIDv7).
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    id: String,
    /// The kind of entity (`user`, `workflow`, `client_report`, …).
    entity: String,
    /// The entity's id: usually a UUIDv7; a client's own id as it sent it.
    entity_id: String,
    /// The event type, e.g. `user.role_changed`; a client's entries are
    /// `client.<action>`.
    action: String,
    /// Who acted: a user's id, `system` for the platform's own actions,
    /// `anonymous` for what happened to a refresh token or a failed login.
    user_id: String,
    /// The actor's role when they acted (`admin`, `approver`, `user`,
    /// `system`, `anonymous`).
    user_role: String,
    /// The changes, `{"field": [before, after]}`, or what a client reported.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    details: Value,
    /// When it happened (UTC, milliseconds).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    timestamp: String,
    /// The correlation id of the request that caused it.
    correlation_id: String,
    source: AuditSource,
}

pub fn view(record: &AuditRecord) -> AuditLogView {
    AuditLogView {
        id: record.id.clone(),
        entity: record.entity.clone(),
        entity_id: record.entity_id.clone(),
        action: record.action.clone(),
        user_id: record.user_id.clone(),
        user_role: record.user_role.clone(),
        details: record.details.clone(),
        timestamp: record.timestamp.clone(),
        correlation_id: record.correlation_id.clone(),
        source: record.source,
    }
}
