//! What clients see of an audit record: every field of the stored record,
//! as `GET /api/v1/auditLogs` lists it. Records never change, so neither does a
//! record's view.

use crate::store::audit::{AuditRecord, AuditSource};
use serde::Serialize;
use serde_json::Value;

/// An audit record as the API shows it.
#[derive(Debug, Serialize)]
pub struct AuditLogView {
    id: String,
    entity: String,
    entity_id: String,
    action: String,
    user_id: String,
    user_role: String,
    details: Value,
    timestamp: String,
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
