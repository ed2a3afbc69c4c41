//! Insights: a finding worth a person's attention, with its risk and the
//! factors behind it. Keys are in the `//!` of [`crate::store`]. Every
//! change is a new version written over the one read, with its event.

use crate::domain::insight::InsightStatus;
use crate::domain::{Factor, RiskLevel};
use opsflow_platform::domain::EntityId;
use opsflow_platform::store::{Entity, Keys, Store, StoreError, StoreFuture};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub const INSIGHT_SK: &str = "INSIGHT";
/// The index partition of every insight.
pub const ALL_INSIGHTS: &str = "INSIGHTS";

pub fn insight_pk(id: &EntityId) -> String {
    format!("INSIGHT#{id}")
}

/// The index partition of the insights about one workflow's requests.
pub fn workflow_insights(workflow_id: &str) -> String {
    format!("INSIGHTS#WORKFLOW#{workflow_id}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightRecord {
    pub id: EntityId,
    /// What raised it: `approval_risk`, or a detector's name.
    pub source: String,
    pub title: String,
    pub description: String,
    pub recommendation: String,
    pub risk_level: RiskLevel,
    pub risk_score: f64,
    pub factors: Vec<Factor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    pub status: InsightStatus,
    /// The last note of whoever acknowledged or resolved it, or why it
    /// resolved by itself.
    #[serde(default)]
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub resolved_at: Option<OffsetDateTime>,
    pub version: u64,
}

impl Entity for InsightRecord {
    const TYPE: &'static str = "insight";

    fn keys(&self) -> Keys {
        let pk = insight_pk(&self.id);
        let keys = Keys::table(pk.clone(), INSIGHT_SK).gsi1(ALL_INSIGHTS, pk.clone());
        match &self.workflow_id {
            Some(workflow) => keys.gsi2(workflow_insights(workflow), pk),
            None => keys,
        }
    }
}

opsflow_platform::versioned!(InsightRecord);

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait InsightStore {
    fn insight_by_id(&self, id: &EntityId) -> impl StoreFuture<Option<InsightRecord>>;
}

impl InsightStore for Store {
    async fn insight_by_id(&self, id: &EntityId) -> Result<Option<InsightRecord>, StoreError> {
        self.get(insight_pk(id), INSIGHT_SK).await
    }
}
