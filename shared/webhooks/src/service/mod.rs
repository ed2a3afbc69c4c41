//! The webhooks module's use cases: the only writer of subscriptions (and
//! of deliveries). Each builds its event and commits it with the change.

pub mod deliveries;
pub mod subscriptions;

use crate::store::StoreError;
use opsflow_platform::error::ApiError;

/// Why a webhooks use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// 404: no such subscription (or delivery).
    #[error("no such {0}")]
    NotFound(&'static str),
    /// 422: a field's value is not acceptable.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// 409: the request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// 409: the subscription changed since it was read.
    #[error("the webhook subscription was changed concurrently; reload and retry")]
    Stale,
    /// The store failed (its own status: 409, 503 or 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WebhookError> for ApiError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::NotFound(what) => ApiError::NotFound(format!("no such {what}")),
            WebhookError::Invalid { field, message } => ApiError::invalid_field(field, message),
            WebhookError::Conflict(message) => ApiError::Conflict(message),
            WebhookError::Stale => ApiError::Conflict(WebhookError::Stale.to_string()),
            WebhookError::Store(error) => error.into(),
        }
    }
}

/// A write's failed version condition is a concurrent change.
fn stale_on_condition(error: StoreError) -> WebhookError {
    match error {
        StoreError::ConditionFailed => WebhookError::Stale,
        other => WebhookError::Store(other),
    }
}
