//! What clients see: the dashboard (`GET /api/v1/stats`) and the order
//! analytics (`GET /api/v1/orders/analytics`), as the counters stand when
//! they are read.

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

/// Orders placed within a range of days (`GET /api/v1/orders/analytics`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderAnalytics {
    /// The first day (`YYYY-MM-DD`, UTC).
    #[cfg_attr(feature = "openapi", schema(format = "date", example = "2026-11-05"))]
    pub from: String,
    /// The last day, included.
    #[cfg_attr(feature = "openapi", schema(format = "date", example = "2026-12-04"))]
    pub to: String,
    /// Orders placed in the range (every status).
    pub orders: i64,
    /// Their totals in minor units (cents), cancelled orders left out.
    pub revenue: i64,
    /// By the status the orders are in now; a status with none is left out.
    pub by_status: BTreeMap<String, StatusFigures>,
    /// Every day of the range, oldest first.
    pub by_day: Vec<DayFigures>,
    /// SKUs on the low-stock list now.
    pub low_stock: i64,
}

/// Orders of one status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusFigures {
    pub orders: i64,
    /// Their totals in minor units (cents).
    pub revenue: i64,
}

/// Orders placed on one day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayFigures {
    #[cfg_attr(feature = "openapi", schema(format = "date", example = "2026-12-04"))]
    pub date: String,
    /// Orders placed that day (every status).
    pub orders: i64,
    /// Their totals in minor units (cents), cancelled orders left out.
    pub revenue: i64,
}
