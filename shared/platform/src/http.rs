//! HTTP conventions shared by every API function (DESIGN §5): request
//! metadata (`x-request-id`, `x-correlation-id`), strict JSON bodies that
//! name each bad field, path and query helpers, JSON and problem responses,
//! and CORS headers.
//!
//! Invariant: every response that leaves [`dispatch`] carries
//! `x-request-id` and `x-correlation-id`, and an error response is always a
//! problem document.

use crate::error::{ApiError, ApiResult};
use futures::Future;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::Instrument;

mod query;
mod reply;
mod text;
pub use query::{only_query_params, query_param, time_param};
pub use reply::{json, no_content, with_etag, with_location};
use text::refuse_unsendable_text;

pub const REQUEST_ID: &str = "x-request-id";
pub const CORRELATION_ID: &str = "x-correlation-id";
/// Default largest JSON body a route accepts.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// What a handler needs to know about the request beyond its body.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    pub correlation_id: String,
    /// `"POST /api/v1/auth/login"`: API Gateway's route key, used for dispatch.
    pub route_key: String,
    pub method: Method,
    pub source_ip: Option<String>,
    pub origin: Option<String>,
}

impl RequestMeta {
    pub fn from_request(req: &Request) -> Self {
        let context = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => Some(context),
            _ => None,
        };
        let request_id = context
            .and_then(|c| c.request_id.clone())
            .or_else(|| req.lambda_context_ref().map(|c| c.request_id.clone()))
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let correlation_id = header(req, CORRELATION_ID)
            .filter(|id| is_valid_correlation_id(id))
            .map(str::to_owned)
            .unwrap_or_else(|| request_id.clone());
        let route_key = context
            .and_then(|c| c.route_key.clone())
            .unwrap_or_default();
        Self {
            request_id,
            correlation_id,
            route_key,
            method: req.method().clone(),
            source_ip: context.and_then(|c| c.http.source_ip.clone()),
            origin: header(req, "origin").map(str::to_owned),
        }
    }
}

/// A caller's correlation id is kept only if it is short and plain, so it
/// is safe to copy into logs, events and headers.
fn is_valid_correlation_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// A header's value, if present and valid UTF-8.
pub fn header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The `Authorization: Bearer <token>` credential, if any.
pub fn bearer_token(req: &Request) -> Option<&str> {
    let value = header(req, "authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// A path parameter declared by the route (`{id}`).
pub fn path_param<'r>(req: &'r Request, name: &str) -> ApiResult<&'r str> {
    req.path_parameters_ref()
        .and_then(|params| params.first(name))
        .ok_or_else(|| ApiError::NotFound("no such resource".into()))
}

/// The body as bytes (API Gateway's base64 bodies arrive decoded).
fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// Parses a JSON body into `T`. Types deny unknown fields themselves
/// (`#[serde(deny_unknown_fields)]`); this maps every serde failure to a
/// problem naming the field: malformed JSON, unknown fields and wrong types
/// are 400, a missing required field or unknown enum value is 422.
pub fn parse_json<T: DeserializeOwned>(req: &Request, limit: usize) -> ApiResult<T> {
    let bytes = body_bytes(req);
    if bytes.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    if let Some(content_type) = header(req, "content-type") {
        let media = content_type.split(';').next().unwrap_or("").trim();
        if !(media.eq_ignore_ascii_case("application/json") || media.ends_with("+json")) {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    // Every request body is an object; serde would also read a struct from
    // an array, so anything else is refused here.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request("body", "a JSON object is required"));
    }
    refuse_unsendable_text(bytes)?;
    parse_json_bytes(bytes)
}

/// [`parse_json`] without the HTTP checks; also used for event payloads.
pub fn parse_json_bytes<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(json_error)?;
    deserializer
        .end()
        .map_err(|_| ApiError::bad_request("body", "malformed JSON: trailing characters"))?;
    Ok(value)
}

fn json_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    let message = strip_position(&inner.to_string());
    if !inner.is_data() {
        return ApiError::bad_request("body", format!("malformed JSON: {message}"));
    }
    let join = |name: &str| {
        if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(name) = backticked(&message, "missing field `") {
        return ApiError::invalid_field(join(name), "is required");
    }
    if let Some(name) = backticked(&message, "unknown field `") {
        // The path already ends in the unknown field's name.
        let field = if path == "." { name.to_owned() } else { path };
        return ApiError::bad_request(field, "is not a known field");
    }
    let field = if path == "." { "body".to_owned() } else { path };
    if message.starts_with("unknown variant") {
        return ApiError::invalid_field(field, message);
    }
    ApiError::bad_request(field, message)
}

/// `"missing field `email`"` → `email`.
fn backticked<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

/// serde_json appends " at line 1 column 7"; the client gets the field path.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// `?limit=` (1–100, default 25).
pub fn page_limit(req: &Request) -> ApiResult<i32> {
    match query_param(req, "limit")? {
        None => Ok(25),
        Some(raw) => {
            let limit: i32 = raw
                .parse()
                .map_err(|_| ApiError::bad_request("limit", "must be an integer"))?;
            if (1..=100).contains(&limit) {
                Ok(limit)
            } else {
                Err(ApiError::invalid_field(
                    "limit",
                    "must be between 1 and 100",
                ))
            }
        }
    }
}

/// A page of a list response: `{"items":[…],"next_cursor":"…"|null}`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Optimistic locking on a write (DESIGN §5): a stale `If-Match` (`"3"`,
/// `3` or `W/"3"`) is 412, a stale `version` in the body is 409. Neither
/// given means the write only races with others at the store, which
/// refuses it if the version moved.
pub fn check_version(
    req: &Request,
    body_version: Option<u64>,
    current: u64,
    what: &str,
) -> ApiResult<()> {
    let stale = |expected: u64| format!("the {what} is at version {current}, not {expected}");
    if let Some(raw) = header(req, "if-match") {
        let expected: u64 = raw
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .map_err(|_| ApiError::bad_request("If-Match", "must be the resource version"))?;
        if expected != current {
            return Err(ApiError::PreconditionFailed(stale(expected)));
        }
    }
    match body_version {
        Some(expected) if expected != current => Err(ApiError::Conflict(stale(expected))),
        _ => Ok(()),
    }
}

/// The problem+json response for an error. 5xx causes are logged here, with
/// the request id, and never sent.
pub fn problem_response(error: &ApiError, meta: &RequestMeta) -> Response<Body> {
    let status = error.status();
    if status >= 500 {
        tracing::error!(request_id = %meta.request_id, error = ?error, "request failed");
    } else {
        tracing::info!(status, detail = %error, "request refused");
    }
    let problem = error.to_problem(Some(&meta.request_id));
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = Response::new(Body::Binary(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if let Some(seconds) = error.retry_after() {
        headers.insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The origins allowed to call the API from a browser (`CORS_ORIGINS`).
/// API Gateway answers preflight in AWS; these headers make direct responses
/// (and the local runtime) behave the same.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    origins: Vec<String>,
}

impl Cors {
    pub fn new(origins: Vec<String>) -> Self {
        Self { origins }
    }

    pub fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == "*" || o == origin)
    }
}

const EXPOSED_HEADERS: &str = "x-request-id, x-correlation-id, retry-after, etag";

/// Adds the request ids and, for an allowed origin, the CORS headers.
pub fn finish(mut response: Response<Body>, meta: &RequestMeta, cors: &Cors) -> Response<Body> {
    let headers = response.headers_mut();
    for (name, value) in [
        (REQUEST_ID, &meta.request_id),
        (CORRELATION_ID, &meta.correlation_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    if let Some(origin) = meta.origin.as_deref().filter(|o| cors.allows(o)) {
        if let Ok(value) = HeaderValue::from_str(origin) {
            headers.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            headers.insert(
                http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED_HEADERS),
            );
            headers.append(http::header::VARY, HeaderValue::from_static("origin"));
        }
    }
    response
}

/// Runs one request through a handler inside a span carrying the request
/// and correlation ids, turning any error into a problem response and
/// stamping the common headers.
pub async fn dispatch<F, Fut>(cors: &Cors, req: Request, handler: F) -> Response<Body>
where
    F: FnOnce(RequestMeta, Request) -> Fut,
    Fut: Future<Output = ApiResult<Response<Body>>>,
{
    let meta = RequestMeta::from_request(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %meta.request_id,
        correlation_id = %meta.correlation_id,
        route = %meta.route_key,
    );
    async {
        let started = std::time::Instant::now();
        let response = match handler(meta.clone(), req).await {
            Ok(response) => response,
            Err(error) => problem_response(&error, &meta),
        };
        let status = response.status().as_u16();
        tracing::info!(status, "request done");
        crate::metrics::request(&meta.route_key, status, started.elapsed());
        finish(response, &meta, cors)
    }
    .instrument(span)
    .await
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
