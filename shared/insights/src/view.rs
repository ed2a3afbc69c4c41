//! What clients see of an insight, and what its events carry as `data`.

use crate::domain::insight::InsightStatus;
use crate::domain::{Factor, RiskLevel};
use crate::store::InsightRecord;
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InsightView {
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub id: String,
    pub title: String,
    pub description: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::RiskLevelName))]
    pub risk_level: RiskLevel,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1))]
    pub risk_score: f64,
    pub recommendation: String,
    /// The workflow of the request it is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub workflow_id: Option<String>,
    /// The kind of entity it is about (`approval`, `queue`, `workflow`,
    /// `rule`, `user`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    /// Every factor the scorer weighed: its value, weight, contribution
    /// and explanation. The contributions sum to `risk_score`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::openapi::InsightFactor>))]
    pub factors: Vec<Factor>,
    pub status: InsightStatus,
    /// What raised it: `approval_risk` or a detector.
    pub source: String,
    /// The last note on it, or why it resolved by itself.
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub resolved_at: Option<OffsetDateTime>,
    pub version: u64,
}

pub fn insight_view(record: &InsightRecord) -> InsightView {
    InsightView {
        id: record.id.to_string(),
        title: record.title.clone(),
        description: record.description.clone(),
        risk_level: record.risk_level,
        risk_score: record.risk_score,
        recommendation: record.recommendation.clone(),
        workflow_id: record.workflow_id.clone(),
        entity: record.entity.clone(),
        entity_id: record.entity_id.clone(),
        factors: record.factors.clone(),
        status: record.status,
        source: record.source.clone(),
        note: record.note.clone(),
        created_at: record.created_at,
        updated_at: record.updated_at,
        resolved_at: record.resolved_at,
        version: record.version,
    }
}

/// The insight as its events carry it (`data`).
pub fn insight_value(record: &InsightRecord) -> serde_json::Value {
    serde_json::to_value(insight_view(record)).unwrap_or_default()
}
