//! What clients see: the dashboard (`GET /api/v1/stats`), as the counters
//! stand when it is read.

use serde::Serialize;
use std::collections::BTreeMap;

/// The dashboard (`GET /api/v1/stats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dashboard {
    pub items: ItemCounts,
    pub jobs: JobCounts,
    pub approvals: ApprovalCounts,
    pub users: UserCounts,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemCounts {
    pub total: i64,
    pub active: i64,
    /// Created in the current hour and the 23 before it (UTC), still there.
    pub created_last_24h: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobCounts {
    /// Jobs by status (`queued`, `running`, …); statuses with none are
    /// left out.
    pub by_status: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalCounts {
    /// Requests by status (`PENDING`, `APPROVED`, …); none: left out.
    pub by_status: BTreeMap<String, i64>,
    /// Pending requests by workflow id; none: left out.
    pub pending_by_workflow: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserCounts {
    /// Every account, active or not.
    pub total: i64,
    /// Accounts by role; none: left out.
    pub by_role: BTreeMap<String, i64>,
}
