//! The errors an API call can end in, and their one mapping to RFC 9457
//! `application/problem+json` responses.
//!
//! Invariant: a 5xx response never carries internal error text. Internal
//! failures are logged with their cause chain and the request id, and the
//! client gets a generic body that names the request id so support can find
//! the log line.

use serde::Serialize;

/// One invalid input field, reported to the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Dotted path to the field in the request (`email`, `steps[0].role`),
    /// or the query/path parameter name.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything a handler can fail with. Each variant's doc names its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read (malformed JSON, wrong type,
    /// unknown field, bad query parameter).
    #[error("{detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 422: well-formed input with invalid values.
    #[error("{detail}")]
    Unprocessable {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 401: missing, invalid, expired or revoked credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource, or one the caller may not see.
    #[error("{0}")]
    NotFound(String),
    /// 405: the route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the change conflicts with the current state (duplicate,
    /// stale version given in the body, illegal transition).
    #[error("{0}")]
    Conflict(String),
    /// 412: the `If-Match` version is stale.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 413: the body is larger than the route accepts.
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// 415: the body is not JSON.
    #[error("content-type must be application/json")]
    UnsupportedMediaType,
    /// 429: rate limited; `Retry-After` carries the seconds to wait.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    /// 503: a dependency is unavailable (readiness, throttling).
    #[error("{0}")]
    ServiceUnavailable(String),
    /// 500: anything unexpected. Its text is logged, never returned.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The problem document of RFC 9457, plus our `errors` and `request_id`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ApiError {
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(field, message);
        Self::BadRequest {
            detail: format!("invalid request: {}: {}", error.field, error.message),
            errors: vec![error],
        }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self::Unprocessable { detail, errors }
    }

    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(anyhow::anyhow!(message.into()))
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict(_) => 409,
            Self::PreconditionFailed(_) => 412,
            Self::PayloadTooLarge { .. } => 413,
            Self::UnsupportedMediaType => 415,
            Self::Unprocessable { .. } => 422,
            Self::TooManyRequests { .. } => 429,
            Self::Internal(_) => 500,
            Self::ServiceUnavailable(_) => 503,
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest { .. } => ("bad-request", "Bad Request"),
            Self::Unauthorized(_) => ("unauthorized", "Unauthorized"),
            Self::Forbidden(_) => ("forbidden", "Forbidden"),
            Self::NotFound(_) => ("not-found", "Not Found"),
            Self::MethodNotAllowed => ("method-not-allowed", "Method Not Allowed"),
            Self::Conflict(_) => ("conflict", "Conflict"),
            Self::PreconditionFailed(_) => ("precondition-failed", "Precondition Failed"),
            Self::PayloadTooLarge { .. } => ("payload-too-large", "Payload Too Large"),
            Self::UnsupportedMediaType => ("unsupported-media-type", "Unsupported Media Type"),
            Self::Unprocessable { .. } => ("validation-error", "Unprocessable Content"),
            Self::TooManyRequests { .. } => ("rate-limited", "Too Many Requests"),
            Self::Internal(_) => ("internal", "Internal Server Error"),
            Self::ServiceUnavailable(_) => ("unavailable", "Service Unavailable"),
        }
    }

    /// The `Retry-After` seconds, where the error has one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// Builds the client-facing problem document. Internal errors are
    /// replaced by a generic text that only names the request id.
    pub fn to_problem(&self, request_id: Option<&str>) -> Problem {
        let (slug, title) = self.slug_and_title();
        let status = self.status();
        let detail = match self {
            Self::Internal(_) => match request_id {
                Some(id) => format!("an internal error occurred; quote request id {id}"),
                None => "an internal error occurred".to_owned(),
            },
            other => other.to_string(),
        };
        let errors = match self {
            Self::BadRequest { errors, .. } | Self::Unprocessable { errors, .. } => errors.clone(),
            _ => Vec::new(),
        };
        Problem {
            problem_type: format!("urn:opsflow:problem:{slug}"),
            title,
            status,
            detail,
            errors,
            request_id: request_id.map(str::to_owned),
        }
    }
}

/// Collects field errors across a whole input so the client learns every
/// problem at once, not one per round trip.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of a parse, returning the parsed value if any.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.errors.push(FieldError::new(field, message));
                None
            }
        }
    }

    /// Like [`Validator::check`] for an optional input.
    pub fn check_opt<T, U>(
        &mut self,
        field: &str,
        input: Option<U>,
        parse: impl FnOnce(U) -> Result<T, String>,
    ) -> Option<T> {
        input.and_then(|value| self.check(field, parse(value)))
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// `Err(422)` naming every bad field, or `Ok` when there were none.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.errors))
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<crate::store::cursor::InvalidCursor> for ApiError {
    /// A cursor the client edited, or brought from another query: 400.
    fn from(error: crate::store::cursor::InvalidCursor) -> Self {
        ApiError::bad_request("cursor", error.to_string())
    }
}

impl From<crate::store::StoreError> for ApiError {
    /// A failure the caller did not map itself: conflicts are 409 (the
    /// client may retry on fresh state), throttling 503, the rest 500.
    fn from(error: crate::store::StoreError) -> Self {
        match error {
            crate::store::StoreError::ConditionFailed => {
                ApiError::Conflict("the resource was changed concurrently; reload and retry".into())
            }
            crate::store::StoreError::TransactionCancelled(ref reasons)
                if reasons
                    .iter()
                    .any(|r| r == "ConditionalCheckFailed" || r == "TransactionConflict") =>
            {
                ApiError::Conflict("the resource was changed concurrently; reload and retry".into())
            }
            crate::store::StoreError::Throttled => {
                ApiError::ServiceUnavailable("the service is busy; retry shortly".into())
            }
            crate::store::StoreError::LeaseLost => ApiError::Conflict(
                "a retry of this request took it over; its outcome is the retry's".into(),
            ),
            crate::store::StoreError::SessionEnded => {
                ApiError::Unauthorized("the session has ended; log in again".into())
            }
            crate::store::StoreError::EventTooLarge { .. } => ApiError::PayloadTooLarge {
                limit: crate::events::MAX_ENVELOPE_BYTES,
            },
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_reach_the_client() {
        let error = ApiError::Internal(anyhow::anyhow!("connection to 10.0.0.3 refused"));
        let problem = error.to_problem(Some("req-1"));
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("10.0.0.3"));
        assert!(problem.detail.contains("req-1"));
    }

    #[test]
    fn validator_reports_every_bad_field() {
        let mut v = Validator::new();
        let a: Option<u8> = v.check("a", Err("bad".into()));
        let b: Option<u8> = v.check("b", Ok(2));
        v.push("c", "also bad");
        assert_eq!((a, b), (None, Some(2)));
        let ApiError::Unprocessable { errors, .. } = v.finish().unwrap_err() else {
            panic!("expected 422");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["a", "c"]);
    }
}
