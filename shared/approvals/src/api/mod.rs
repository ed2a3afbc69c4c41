//! The `workflows` and `approvals` functions' request handlers: each route
//! parses its input, calls [`crate::service`] and shows the result with
//! [`crate::view`]. Service errors become `ApiError`s here, and only here.

pub use opsflow_platform::api::*;

pub mod approvals;
pub mod workflows;

/// The old home of the views; they live in [`crate::view`].
pub mod views {
    pub use crate::view::{step_view, StepView};
}

use crate::error::{ApiError, ApiResult};
use crate::service::{ApprovalsError, ExpectedVersion};
use lambda_http::Request;

impl From<ApprovalsError> for ApiError {
    fn from(error: ApprovalsError) -> Self {
        match error {
            ApprovalsError::NotFound(what) => ApiError::NotFound(format!("no such {what}")),
            ApprovalsError::Invalid { field, message } => ApiError::invalid_field(field, message),
            ApprovalsError::Forbidden(message) => ApiError::Forbidden(message),
            ApprovalsError::Conflict(message) => ApiError::Conflict(message),
            ApprovalsError::PreconditionFailed(message) => ApiError::PreconditionFailed(message),
            ApprovalsError::Store(error) => error.into(),
        }
    }
}

/// The version a write expects: `If-Match` (`"3"`, `3` or `W/"3"`; anything
/// else is 400) and the body's `version`.
pub fn expected_version(req: &Request, body: Option<u64>) -> ApiResult<ExpectedVersion> {
    let if_match = crate::http::header(req, "if-match")
        .map(|raw| {
            raw.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .parse()
                .map_err(|_| ApiError::bad_request("If-Match", "must be the resource version"))
        })
        .transpose()?;
    Ok(ExpectedVersion { if_match, body })
}
