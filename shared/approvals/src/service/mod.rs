//! The use cases of workflows and approvals, and the only writer of their
//! items: each takes parsed inputs and the caller, runs the domain rule,
//! builds the event with [`crate::events`] and commits both in one
//! transaction, telling its failures apart by the transaction's named
//! items. Errors are [`ApprovalsError`]; `api` maps them to HTTP.

pub mod approvals;
pub mod escalations;
pub mod risk;
pub mod rule_actions;
pub mod workflows;

use crate::store::StoreError;

/// Why a use case of this module did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalsError {
    /// 404: no such entity, or one the caller may not see.
    #[error("no such {0}")]
    NotFound(&'static str),
    /// 422: a field names something that cannot be used.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// 403: the caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 409: the change conflicts with the entity's state or version.
    #[error("{0}")]
    Conflict(String),
    /// 412: the `If-Match` version is stale.
    #[error("{0}")]
    PreconditionFailed(String),
    /// Storage failed: 409 for a lost race, 503 when throttled, else 500
    /// (as the kernel maps a [`StoreError`]).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The version a client expects to change: `If-Match` (stale: 412) and
/// the body's `version` (stale: 409). Given either, a lost race is a 409
/// rather than a retry on fresh state.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExpectedVersion {
    pub if_match: Option<u64>,
    pub body: Option<u64>,
}

impl ExpectedVersion {
    /// Whether the client pinned a version.
    pub fn pinned(&self) -> bool {
        self.if_match.is_some() || self.body.is_some()
    }

    /// Checks the expectation against the `current` version of a `what`.
    pub fn check(&self, current: u64, what: &str) -> Result<(), ApprovalsError> {
        let stale = |expected: u64| format!("the {what} is at version {current}, not {expected}");
        match (self.if_match, self.body) {
            (Some(expected), _) if expected != current => {
                Err(ApprovalsError::PreconditionFailed(stale(expected)))
            }
            (_, Some(expected)) if expected != current => {
                Err(ApprovalsError::Conflict(stale(expected)))
            }
            _ => Ok(()),
        }
    }
}
