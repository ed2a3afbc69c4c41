//! Insights: a finding worth a person's attention, with its risk and the
//! factors behind it. Keys are in the `//!` of [`crate::store`]. Every
//! change is a new version written over the one read, with its event.

use crate::domain::insight::InsightStatus;
use crate::domain::{Factor, RiskLevel};
use opsflow_platform::domain::EntityId;
use opsflow_platform::store::{
    from_item, n, s, Entity, Expr, Keys, Partition, Store, StoreError, StoreFuture,
};
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

/// What a listing of insights keeps.
#[derive(Debug, Clone, Default)]
pub struct InsightFilter {
    pub risk_level: Option<RiskLevel>,
    pub status: Option<InsightStatus>,
    pub workflow_id: Option<String>,
    pub entity: Option<String>,
    /// Only insights scored at least this (`high-risk`).
    pub min_score: Option<f64>,
}

impl InsightFilter {
    /// The index partition it reads: a workflow's, or every insight's.
    fn partition(&self) -> Partition {
        match &self.workflow_id {
            Some(workflow) => Partition {
                index: Some("gsi2"),
                partition_attribute: "gsi2pk",
                sort_attribute: "gsi2sk",
                partition: workflow_insights(workflow),
            },
            None => Partition {
                index: Some("gsi1"),
                partition_attribute: "gsi1pk",
                sort_attribute: "gsi1sk",
                partition: ALL_INSIGHTS.to_owned(),
            },
        }
    }

    /// The filter on the partition's items, if any.
    fn expression(&self) -> Option<Expr> {
        let mut expr = Expr::default();
        if let Some(level) = self.risk_level {
            expr = expr.and(Expr::new("risk_level = :level").value(":level", s(level.as_str())));
        }
        if let Some(status) = self.status {
            expr = expr.and(
                Expr::new("#status = :status")
                    .name("#status", "status")
                    .value(":status", s(status.as_str())),
            );
        }
        if let Some(entity) = &self.entity {
            expr = expr.and(
                Expr::new("#entity = :entity")
                    .name("#entity", "entity")
                    .value(":entity", s(entity.clone())),
            );
        }
        if let Some(min) = self.min_score {
            expr = expr.and(Expr::new("risk_score >= :min").value(":min", n(min)));
        }
        (!expr.text.is_empty()).then_some(expr)
    }
}

/// Sort keys of insights in their index partitions.
const SORT_PREFIX: &str = "INSIGHT#";

/// The access patterns of listings, as methods of the kernel's [`Store`].
pub trait InsightListing {
    /// A page of insights that `filter` keeps, newest first, from just
    /// past the sort key `after`; the key that resumes it.
    fn list_insights(
        &self,
        filter: &InsightFilter,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<InsightRecord>, Option<String>)>;
}

impl InsightListing for Store {
    async fn list_insights(
        &self,
        filter: &InsightFilter,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<InsightRecord>, Option<String>), StoreError> {
        let expression = filter.expression();
        let (items, next) = self
            .query_merged(
                &[filter.partition()],
                SORT_PREFIX,
                expression.as_ref(),
                limit,
                after,
                true,
            )
            .await?;
        let records = items
            .into_iter()
            .map(from_item::<InsightRecord>)
            .collect::<Result<_, _>>()?;
        Ok((records, next))
    }
}
