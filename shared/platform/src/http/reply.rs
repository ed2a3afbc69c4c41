//! Success responses: JSON bodies, the headers that describe what was
//! written (`ETag`, `Location`), and an empty `204`.

use crate::error::{ApiError, ApiResult};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> ApiResult<Response<Body>> {
    let bytes = serde_json::to_vec(body).map_err(|e| ApiError::Internal(e.into()))?;
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .body(Body::Binary(bytes))
        .map_err(|e| ApiError::Internal(e.into()))
}

/// Adds `ETag: "<version>"` to a response about a versioned resource.
pub fn with_etag(mut response: Response<Body>, version: u64) -> Response<Body> {
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(http::header::ETAG, value);
    }
    response
}

/// `response` with a `Location` header naming `path` (a created or
/// accepted resource).
pub fn with_location(mut response: Response<Body>, path: &str) -> Response<Body> {
    if let Ok(value) = HeaderValue::from_str(path) {
        response.headers_mut().insert(http::header::LOCATION, value);
    }
    response
}

/// An empty `204 No Content`.
pub fn no_content() -> ApiResult<Response<Body>> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .map_err(|e| ApiError::Internal(e.into()))
}
