//! An approval's risk as the insights module last scored it: a score in
//! 0–1, its level, and the factors that made it, largest first. It is
//! derived, never decided: recording it changes no state of the request
//! and not its `version`, so an approver's `If-Match` stays good.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The levels a score falls in: LOW < 0.25 ≤ MEDIUM < 0.5 ≤ HIGH < 0.8 ≤
/// CRITICAL.
pub const RISK_LEVELS: [&str; 4] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// One factor of a risk: what it measured and how much it added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskFactor {
    /// The feature (`amount`, `new_requester`, `new_fields`,
    /// `rejection_rate`, `request_burst`, `slow_step`, `fast_decision`).
    pub name: String,
    /// What it added to the score.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1))]
    pub contribution: f64,
    /// The reason, in a sentence, with its figures.
    pub explanation: String,
}

/// The risk of an approval when it was last scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalRisk {
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1))]
    pub score: f64,
    /// `LOW`, `MEDIUM`, `HIGH` or `CRITICAL`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(LOW|MEDIUM|HIGH|CRITICAL)$"))]
    pub level: String,
    /// The factors that added to the score, largest first (at most three).
    pub factors: Vec<RiskFactor>,
    /// When the change it was scored after happened.
    #[serde(with = "time::serde::rfc3339")]
    pub scored_at: OffsetDateTime,
}

impl ApprovalRisk {
    /// Whether it says the same as `other`, whenever each was scored.
    pub fn same_as(&self, other: &Self) -> bool {
        self.score == other.score && self.level == other.level && self.factors == other.factors
    }
}
