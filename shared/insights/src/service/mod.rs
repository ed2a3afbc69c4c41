//! The insights module's use cases, and the only writer of its items:
//! scoring approvals from their events ([`analyze`]) and raising,
//! changing and resolving insights ([`insights`]).

pub mod analyze;
pub mod detectors;
pub mod insights;
pub mod manage;

pub use analyze::{analyze, Analyzed};

use opsflow_platform::store::StoreError;

/// Why a use case of this module did not happen.
#[derive(Debug, thiserror::Error)]
pub enum InsightsError {
    /// 404: no such insight, or one the caller may not see.
    #[error("no such {0}")]
    NotFound(&'static str),
    /// 409: the change conflicts with the insight's state or version.
    #[error("{0}")]
    Conflict(String),
    /// (500, never from a route) An event about an approval whose filing was not scored yet (the
    /// queue keeps no order): retried later, by the queue.
    #[error("approval {0} has not been scored yet")]
    NotYetScored(String),
    /// (500, never from a route) The event is not one this module can read.
    #[error("{0}")]
    Malformed(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<InsightsError> for opsflow_platform::ApiError {
    fn from(error: InsightsError) -> Self {
        use opsflow_platform::ApiError;
        match error {
            InsightsError::NotFound(_) => ApiError::NotFound(error.to_string()),
            InsightsError::Conflict(_) => ApiError::Conflict(error.to_string()),
            InsightsError::Store(error) => error.into(),
            other => ApiError::Internal(anyhow::anyhow!(other.to_string())),
        }
    }
}

impl From<opsflow_approvals::service::ApprovalsError> for InsightsError {
    fn from(error: opsflow_approvals::service::ApprovalsError) -> Self {
        use opsflow_approvals::service::ApprovalsError as A;
        match error {
            A::Store(error) => Self::Store(error),
            A::NotFound(what) => Self::NotFound(what),
            other => Self::Conflict(other.to_string()),
        }
    }
}
