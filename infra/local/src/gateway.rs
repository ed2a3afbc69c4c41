//! The local HTTP API: serves the template's `HttpApi` routes the way Amazon
//! API Gateway (HTTP API, Lambda proxy integration, payload format 2.0) does,
//! invoking functions through [`Invoke`].
//!
//! Behaviours reproduced, and the choices made where API Gateway is not
//! documented:
//!
//! - **Routing.** `{param}` matches one non-empty segment; a greedy
//!   `{name+}` (last segment only) matches one or more segments. A method
//!   route matches only its own method (`HEAD` is not `GET`); `ANY` matches
//!   every method. The most specific route wins: a route without a greedy
//!   variable beats one with it (API Gateway's documented order: full match,
//!   then greedy match, then `$default`); then more literal segments; then,
//!   at the first segment where two routes differ, a literal beats a
//!   `{param}`; then the longer route; and, for the same path, an exact method
//!   beats `ANY`. `$default` catches whatever no route matched; with no
//!   match at all the answer is `404 {"message":"Not Found"}`. Matching is
//!   case-sensitive and a trailing slash is significant: `/users/` does not
//!   match `/users` (it is the segments `users` and an empty one, and
//!   `{param}` never matches an empty segment).
//! - **Paths.** HTTP APIs percent-decode the request path before routing and
//!   send it decoded in `rawPath` and `requestContext.http.path`; so does this
//!   gateway (an encoded `%2F` therefore splits segments). `rawQueryString` is
//!   the query exactly as received.
//! - **Event.** Headers lower-cased, repeated ones joined with `,`; the
//!   `cookie` headers become `cookies` (split on `;`) and are removed from
//!   `headers`; `x-forwarded-for` (the client address, appended to any value
//!   the client sent), `x-forwarded-proto: http`, `x-forwarded-port` (from
//!   `Host`, else 80) and, when absent, an `x-amzn-trace-id` are added.
//!   `queryStringParameters` are decoded (`+` is a space), repeated keys
//!   joined with `,`; it and `pathParameters` are omitted when empty. Text
//!   bodies (`text/*`, `application/json`, `application/*+json`,
//!   `application/xml`, `application/*+xml`,
//!   `application/x-www-form-urlencoded`, or no content type) that are valid
//!   UTF-8 are sent as they are; anything else base64-encoded with
//!   `isBase64Encoded: true`. No body, no `body` field. `requestContext` has
//!   account `123456789012`, API id `local`, stage `$default`, the `Host` as
//!   `domainName` (port included, so functions that build absolute URLs
//!   point back here), its first label as `domainPrefix` (the whole host for
//!   an IP address), and a fresh API-Gateway-style `requestId` that is also
//!   returned in the `apigw-requestid` response header.
//! - **Responses.** An object with `statusCode` is read as a payload 2.0
//!   response: `headers` (and `multiValueHeaders`, which 2.0 does not define
//!   but some functions send), `cookies` (one `set-cookie` each), `body`
//!   (base64-decoded when `isBase64Encoded`); a body without a content type
//!   is sent as `text/plain; charset=utf-8`. Any other JSON is "inferred":
//!   `200`, `content-type: application/json`, the JSON text as the body (a
//!   JSON string's contents, as in the API Gateway documentation's table).
//!   A response that is not JSON, or a malformed 2.0 response, is a `500`.
//! - **Errors.** Request body over 10 MB: `413 {"message":"Request Entity Too
//!   Large"}`. A function error, a function that exceeded its own timeout
//!   (Lambda reports that as a function error, which API Gateway answers with
//!   a 500), a missing function or an unusable response:
//!   `500 {"message":"Internal Server Error"}`. No answer within the
//!   integration timeout (30 s, HTTP API's default and maximum):
//!   `503 {"message":"Service Unavailable"}`, HTTP API's answer in that case;
//!   the invocation itself runs on to completion, as it does in Lambda.
//! - **CORS** (when configured). Preflights (`OPTIONS` with `Origin` and
//!   `Access-Control-Request-Method`) are answered by the gateway, whatever
//!   the routes, with `204`: for an allowed origin with
//!   `access-control-allow-origin` (`*` when `*` is allowed and credentials
//!   are not), `-allow-methods`, `-allow-headers` (the requested ones when
//!   the configuration has `*`), `-max-age`, `-allow-credentials`; for any
//!   other origin with no CORS headers at all. Every other response loses the
//!   function's own `access-control-*` headers (API Gateway ignores them when
//!   CORS is configured) and, for an allowed `Origin`, gets
//!   `access-control-allow-origin`, `-allow-credentials`, `-expose-headers`
//!   and `vary: origin` — the gateway's own error answers included. Without
//!   a CORS configuration `OPTIONS` is routed like any other method.
//!
//! Each request is logged as one `tracing` line: method, path, status,
//! duration and route key.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::extract::{ConnectInfo, State};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use http::request::Parts;
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::template::{CorsConfig, HttpRoute};
use crate::{Invoke, InvokeOutcome};

/// API Gateway's payload limit for HTTP APIs.
pub const MAX_REQUEST_BODY_BYTES: usize = 10 * 1024 * 1024;
/// HTTP API's integration timeout (its default and its maximum).
pub const DEFAULT_INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);
/// `requestContext.accountId` (moto's default account).
pub const ACCOUNT_ID: &str = "123456789012";
/// `requestContext.apiId`.
pub const API_ID: &str = "local";
/// The route key of the catch-all route.
pub const DEFAULT_ROUTE_KEY: &str = "$default";

const REQUEST_ID_HEADER: &str = "apigw-requestid";
const TRACE_ID_HEADER: &str = "x-amzn-trace-id";

/// The local HTTP API in front of the functions.
pub struct Gateway {
    routes: Vec<CompiledRoute>,
    default_function: Option<String>,
    cors: Option<CorsConfig>,
    invoker: Arc<dyn Invoke>,
    integration_timeout: Duration,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("routes", &self.route_table())
            .field("cors", &self.cors)
            .field("integration_timeout", &self.integration_timeout)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Builds the gateway from the template's routes and CORS configuration.
    ///
    /// Fails on a route API Gateway would refuse: a path not starting with
    /// `/`, a greedy variable that is not the last segment, an invalid
    /// method, or the same route key twice.
    pub fn new(
        routes: Vec<HttpRoute>,
        cors: Option<CorsConfig>,
        invoker: Arc<dyn Invoke>,
    ) -> anyhow::Result<Self> {
        let mut compiled: Vec<CompiledRoute> = Vec::new();
        let mut default_function = None;
        for route in routes {
            if route.path == DEFAULT_ROUTE_KEY {
                if default_function.is_some() {
                    anyhow::bail!("the $default route is defined twice");
                }
                default_function = Some(route.function);
                continue;
            }
            let route = CompiledRoute::new(&route)
                .with_context(|| format!("route `{}`", route.route_key()))?;
            if compiled.iter().any(|r| r.route_key == route.route_key) {
                anyhow::bail!("route `{}` is defined twice", route.route_key);
            }
            compiled.push(route);
        }
        Ok(Self {
            routes: compiled,
            default_function,
            cors,
            invoker,
            integration_timeout: DEFAULT_INTEGRATION_TIMEOUT,
        })
    }

    /// Replaces the 30 s integration timeout (tests use a short one).
    #[must_use]
    pub fn with_integration_timeout(mut self, timeout: Duration) -> Self {
        self.integration_timeout = timeout;
        self
    }

    /// Route keys and the function serving each, `$default` last, for the
    /// start-up banner.
    pub fn route_table(&self) -> Vec<(String, String)> {
        let mut table: Vec<(String, String)> = self
            .routes
            .iter()
            .map(|r| (r.route_key.clone(), r.function.clone()))
            .collect();
        if let Some(function) = &self.default_function {
            table.push((DEFAULT_ROUTE_KEY.to_owned(), function.clone()));
        }
        table
    }

    /// The gateway as an axum router (every method and path goes to it).
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new().fallback(serve_request).with_state(self)
    }

    /// Binds `addr` and serves until `shutdown` completes.
    pub async fn serve(
        self: Arc<Self>,
        addr: SocketAddr,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the HTTP API to {addr}"))?;
        self.serve_on(listener, shutdown).await
    }

    /// Serves on an already bound listener until `shutdown` completes, then
    /// lets requests under way finish.
    pub async fn serve_on(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let make_service = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, make_service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving the HTTP API")
    }

    /// Answers one request as API Gateway would; `source_ip` is the client's
    /// address (`requestContext.http.sourceIp`).
    pub async fn handle(&self, request: Request<Bytes>, source_ip: IpAddr) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
        let body = if body.len() > MAX_REQUEST_BODY_BYTES {
            RequestBody::TooLarge
        } else {
            RequestBody::Complete(body)
        };
        self.respond(parts, body, source_ip).await
    }

    async fn respond(&self, parts: Parts, body: RequestBody, source_ip: IpAddr) -> Response<Bytes> {
        let started = Instant::now();
        let now = OffsetDateTime::now_utc();
        let request_id = new_request_id();
        let path = percent_decode(parts.uri.path(), false);
        let origin = header_text(&parts.headers, &header::ORIGIN);

        let mut route_key: Option<String> = None;
        let mut preflight = false;
        let mut response = match body {
            RequestBody::TooLarge => error_response(StatusCode::PAYLOAD_TOO_LARGE),
            RequestBody::Unreadable => error_response(StatusCode::BAD_REQUEST),
            RequestBody::Complete(body) => match &self.cors {
                Some(cors) if is_preflight(&parts) => {
                    preflight = true;
                    preflight_response(cors, &parts.headers)
                }
                _ => match self.select(&parts.method, &path) {
                    None => error_response(StatusCode::NOT_FOUND),
                    Some(selected) => {
                        let event = build_event(&EventInput {
                            parts: &parts,
                            path: &path,
                            body: &body,
                            route_key: selected.route_key,
                            path_parameters: &selected.path_parameters,
                            source_ip,
                            request_id: &request_id,
                            now,
                        });
                        route_key = Some(selected.route_key.to_owned());
                        self.integrate(selected.route_key, selected.function, &event)
                            .await
                    }
                },
            },
        };

        if !preflight {
            self.apply_cors(response.headers_mut(), origin.as_deref());
        }
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }

        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(
            method = %parts.method,
            path = %path,
            status = response.status().as_u16(),
            duration_ms,
            route_key = route_key.as_deref().unwrap_or("-"),
            request_id = %request_id,
            "{} {} {} {duration_ms} ms",
            parts.method,
            path,
            response.status().as_u16(),
        );
        response
    }

    /// The route serving `method` and `path` (already decoded), if any.
    fn select<'a>(&'a self, method: &Method, path: &str) -> Option<Selected<'a>> {
        let mut best: Option<(&CompiledRoute, Vec<(String, String)>)> = None;
        if let Some(segments) = request_segments(path) {
            for route in &self.routes {
                if !route.accepts(method) {
                    continue;
                }
                let Some(params) = route.match_segments(&segments) else {
                    continue;
                };
                let better = match &best {
                    None => true,
                    Some((current, _)) => route.specificity > current.specificity,
                };
                if better {
                    best = Some((route, params));
                }
            }
        }
        match best {
            Some((route, path_parameters)) => Some(Selected {
                route_key: &route.route_key,
                function: &route.function,
                path_parameters,
            }),
            None => self.default_function.as_deref().map(|function| Selected {
                route_key: DEFAULT_ROUTE_KEY,
                function,
                path_parameters: Vec::new(),
            }),
        }
    }

    /// Invokes the route's function with `event` and maps its answer.
    async fn integrate(&self, route_key: &str, function: &str, event: &Value) -> Response<Bytes> {
        let payload = match serde_json::to_vec(event) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(route_key, %error, "could not serialise the event");
                return error_response(StatusCode::INTERNAL_SERVER_ERROR);
            }
        };
        // The invocation runs in its own task so that it completes even when
        // the integration times out or the client goes away, as in Lambda.
        let invoker = Arc::clone(&self.invoker);
        let function_id = function.to_owned();
        let invocation = tokio::spawn(async move { invoker.invoke(&function_id, payload).await });
        let outcome = match tokio::time::timeout(self.integration_timeout, invocation).await {
            Err(_) => {
                tracing::warn!(
                    route_key,
                    function,
                    timeout_ms =
                        u64::try_from(self.integration_timeout.as_millis()).unwrap_or(u64::MAX),
                    "integration timed out"
                );
                return error_response(StatusCode::SERVICE_UNAVAILABLE);
            }
            Ok(Err(error)) => {
                tracing::warn!(route_key, function, %error, "the invocation failed");
                return error_response(StatusCode::INTERNAL_SERVER_ERROR);
            }
            Ok(Ok(outcome)) => outcome,
        };
        match outcome {
            InvokeOutcome::Success(payload) => match function_response(&payload) {
                Ok(response) => response,
                Err(reason) => {
                    tracing::warn!(route_key, function, %reason, "unusable function response");
                    error_response(StatusCode::INTERNAL_SERVER_ERROR)
                }
            },
            InvokeOutcome::FunctionError {
                error_type,
                error_message,
            } => {
                tracing::warn!(route_key, function, %error_type, %error_message, "function error");
                error_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
            InvokeOutcome::Timeout => {
                tracing::warn!(route_key, function, "function timed out");
                error_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
            InvokeOutcome::NoSuchFunction => {
                tracing::warn!(route_key, function, "no such function");
                error_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// CORS on a non-preflight response: the function's own CORS headers
    /// are dropped and the configured ones added for an allowed origin.
    fn apply_cors(&self, headers: &mut HeaderMap, origin: Option<&str>) {
        let Some(cors) = &self.cors else {
            return;
        };
        let own: Vec<HeaderName> = headers
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for name in own {
            headers.remove(name);
        }
        let Some(origin) = origin else {
            return;
        };
        if !origin_allowed(cors, origin) {
            return;
        }
        insert_text(
            headers,
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            &allow_origin_value(cors, origin),
        );
        if cors.allow_credentials {
            insert_text(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
        if !cors.expose_headers.is_empty() {
            insert_text(
                headers,
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                &cors.expose_headers.join(","),
            );
        }
        add_vary_origin(headers);
    }
}

/// How the request body arrived.
enum RequestBody {
    Complete(Bytes),
    TooLarge,
    Unreadable,
}

struct Selected<'a> {
    route_key: &'a str,
    function: &'a str,
    path_parameters: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

/// Orders routes by how specific they are; the greatest wins.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Specificity {
    without_greedy: bool,
    literals: usize,
    /// Per segment: 2 literal, 1 `{param}`, 0 greedy (compared left to right).
    shape: Vec<u8>,
    segments: usize,
    exact_method: bool,
}

#[derive(Debug)]
struct CompiledRoute {
    /// `None` for `ANY`.
    method: Option<Method>,
    segments: Vec<Segment>,
    route_key: String,
    function: String,
    specificity: Specificity,
}

impl CompiledRoute {
    fn new(route: &HttpRoute) -> anyhow::Result<Self> {
        let method = match route.method.as_str() {
            "ANY" => None,
            other => Some(
                Method::from_bytes(other.as_bytes())
                    .with_context(|| format!("invalid method `{other}`"))?,
            ),
        };
        let segments = parse_route_path(&route.path)?;
        let shape: Vec<u8> = segments
            .iter()
            .map(|s| match s {
                Segment::Literal(_) => 2,
                Segment::Param(_) => 1,
                Segment::Greedy(_) => 0,
            })
            .collect();
        let specificity = Specificity {
            without_greedy: !segments.iter().any(|s| matches!(s, Segment::Greedy(_))),
            literals: shape.iter().filter(|&&k| k == 2).count(),
            segments: segments.len(),
            shape,
            exact_method: method.is_some(),
        };
        Ok(Self {
            method,
            segments,
            route_key: route.route_key(),
            function: route.function.clone(),
            specificity,
        })
    }

    fn accepts(&self, method: &Method) -> bool {
        self.method.as_ref().is_none_or(|m| m == method)
    }

    /// The path parameters when the request's segments match this route.
    fn match_segments(&self, request: &[&str]) -> Option<Vec<(String, String)>> {
        let mut params = Vec::new();
        for (index, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(literal) => {
                    if request.get(index) != Some(&literal.as_str()) {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let value = request.get(index).filter(|v| !v.is_empty())?;
                    params.push((name.clone(), (*value).to_owned()));
                }
                Segment::Greedy(name) => {
                    let rest = request.get(index..).unwrap_or_default().join("/");
                    if rest.is_empty() {
                        return None;
                    }
                    params.push((name.clone(), rest));
                    return Some(params);
                }
            }
        }
        (request.len() == self.segments.len()).then_some(params)
    }
}

fn parse_route_path(path: &str) -> anyhow::Result<Vec<Segment>> {
    let Some(rest) = path.strip_prefix('/') else {
        anyhow::bail!("the path `{path}` does not start with `/`");
    };
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let last = parts.len() - 1;
    let mut segments = Vec::with_capacity(parts.len());
    for (index, part) in parts.into_iter().enumerate() {
        let variable = part
            .strip_prefix('{')
            .and_then(|p| p.strip_suffix('}'))
            .filter(|name| !name.is_empty());
        let segment = match variable {
            Some(name) => match name.strip_suffix('+') {
                Some(greedy) => {
                    if index != last {
                        anyhow::bail!("the greedy variable `{part}` must be the last segment");
                    }
                    if greedy.is_empty() {
                        anyhow::bail!("the greedy variable `{part}` has no name");
                    }
                    Segment::Greedy(greedy.to_owned())
                }
                None => Segment::Param(name.to_owned()),
            },
            None => Segment::Literal(part.to_owned()),
        };
        segments.push(segment);
    }
    Ok(segments)
}

/// The decoded request path's segments: `/` has none, `/users/` has
/// `users` and an empty one; `None` for a path not starting with `/`.
fn request_segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        Some(Vec::new())
    } else {
        Some(rest.split('/').collect())
    }
}

fn is_preflight(parts: &Parts) -> bool {
    parts.method == Method::OPTIONS
        && parts.headers.contains_key(header::ORIGIN)
        && parts
            .headers
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn preflight_response(cors: &CorsConfig, request: &HeaderMap) -> Response<Bytes> {
    let mut response = empty_response(StatusCode::NO_CONTENT);
    let origin = header_text(request, &header::ORIGIN).unwrap_or_default();
    if !origin_allowed(cors, &origin) {
        return response;
    }
    let headers = response.headers_mut();
    insert_text(
        headers,
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        &allow_origin_value(cors, &origin),
    );
    let methods = if cors.allow_methods.iter().any(|m| m == "*") {
        header_text(request, &header::ACCESS_CONTROL_REQUEST_METHOD).unwrap_or_default()
    } else {
        cors.allow_methods.join(",")
    };
    if !methods.is_empty() {
        insert_text(headers, header::ACCESS_CONTROL_ALLOW_METHODS, &methods);
    }
    let allowed_headers = if cors.allow_headers.iter().any(|h| h == "*") {
        header_text(request, &header::ACCESS_CONTROL_REQUEST_HEADERS).unwrap_or_default()
    } else {
        cors.allow_headers.join(",")
    };
    if !allowed_headers.is_empty() {
        insert_text(
            headers,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            &allowed_headers,
        );
    }
    if let Some(max_age) = cors.max_age {
        insert_text(
            headers,
            header::ACCESS_CONTROL_MAX_AGE,
            &max_age.to_string(),
        );
    }
    if cors.allow_credentials {
        insert_text(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    add_vary_origin(headers);
    response
}

/// Whether `origin` is in the configured list: `*` allows every origin, an
/// entry with `*` (`https://*`, `https://*.example.com`) is a wildcard,
/// anything else must match exactly (ASCII case-insensitively).
fn origin_allowed(cors: &CorsConfig, origin: &str) -> bool {
    if origin.is_empty() {
        return false;
    }
    let origin = origin.to_ascii_lowercase();
    cors.allow_origins.iter().any(|allowed| {
        let allowed = allowed.to_ascii_lowercase();
        match allowed.split_once('*') {
            None => allowed == origin,
            Some((prefix, suffix)) => {
                origin.len() >= prefix.len() + suffix.len()
                    && origin.starts_with(prefix)
                    && origin.ends_with(suffix)
            }
        }
    })
}

fn allow_origin_value(cors: &CorsConfig, origin: &str) -> String {
    if !cors.allow_credentials && cors.allow_origins.iter().any(|o| o == "*") {
        "*".to_owned()
    } else {
        origin.to_owned()
    }
}

fn add_vary_origin(headers: &mut HeaderMap) {
    let present = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            let v = v.trim();
            v == "*" || v.eq_ignore_ascii_case("origin")
        });
    if !present {
        headers.append(header::VARY, HeaderValue::from_static("origin"));
    }
}

struct EventInput<'a> {
    parts: &'a Parts,
    path: &'a str,
    body: &'a Bytes,
    route_key: &'a str,
    path_parameters: &'a [(String, String)],
    source_ip: IpAddr,
    request_id: &'a str,
    now: OffsetDateTime,
}

/// The payload format 2.0 event for a request.
fn build_event(input: &EventInput<'_>) -> Value {
    let request_headers = &input.parts.headers;

    let mut headers = Map::new();
    for name in request_headers.keys() {
        if *name == header::COOKIE {
            continue;
        }
        let joined = request_headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(",");
        headers.insert(name.as_str().to_owned(), Value::String(joined));
    }
    let cookies: Vec<Value> = request_headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(';')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .map(Value::String)
        .collect();

    let host = header_text(request_headers, &header::HOST)
        .or_else(|| input.parts.uri.authority().map(|a| a.as_str().to_owned()));
    let source_ip = input.source_ip.to_string();
    let forwarded_for = match headers.get("x-forwarded-for").and_then(Value::as_str) {
        Some(existing) if !existing.is_empty() => format!("{existing}, {source_ip}"),
        _ => source_ip.clone(),
    };
    headers.insert("x-forwarded-for".into(), Value::String(forwarded_for));
    headers.insert("x-forwarded-proto".into(), Value::String("http".into()));
    headers.insert(
        "x-forwarded-port".into(),
        Value::String(forwarded_port(host.as_deref()).to_string()),
    );
    if !headers.contains_key(TRACE_ID_HEADER) {
        headers.insert(
            TRACE_ID_HEADER.into(),
            Value::String(new_trace_id(input.now)),
        );
    }

    let domain_name = host.unwrap_or_else(|| "localhost".to_owned());
    let user_agent = header_text(request_headers, &header::USER_AGENT).unwrap_or_default();
    let raw_query = input.parts.uri.query().unwrap_or_default();

    let mut event = Map::new();
    event.insert("version".into(), json!("2.0"));
    event.insert("routeKey".into(), json!(input.route_key));
    event.insert("rawPath".into(), json!(input.path));
    event.insert("rawQueryString".into(), json!(raw_query));
    if !cookies.is_empty() {
        event.insert("cookies".into(), Value::Array(cookies));
    }
    event.insert("headers".into(), Value::Object(headers));
    let query = query_parameters(raw_query);
    if !query.is_empty() {
        event.insert("queryStringParameters".into(), Value::Object(query));
    }
    event.insert(
        "requestContext".into(),
        json!({
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": domain_name,
            "domainPrefix": domain_prefix(&domain_name),
            "http": {
                "method": input.parts.method.as_str(),
                "path": input.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": user_agent,
            },
            "requestId": input.request_id,
            "routeKey": input.route_key,
            "stage": "$default",
            "time": format_time(input.now),
            "timeEpoch": epoch_millis(input.now),
        }),
    );
    if !input.path_parameters.is_empty() {
        let params: Map<String, Value> = input
            .path_parameters
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        event.insert("pathParameters".into(), Value::Object(params));
    }
    let mut is_base64 = false;
    if !input.body.is_empty() {
        let content_type = header_text(request_headers, &header::CONTENT_TYPE);
        let text = match content_type.as_deref() {
            None => true,
            Some(content_type) => is_text_content_type(content_type),
        };
        match std::str::from_utf8(input.body) {
            Ok(body) if text => {
                event.insert("body".into(), Value::String(body.to_owned()));
            }
            _ => {
                is_base64 = true;
                event.insert("body".into(), Value::String(BASE64.encode(input.body)));
            }
        }
    }
    event.insert("isBase64Encoded".into(), Value::Bool(is_base64));
    Value::Object(event)
}

/// Content types whose bodies API Gateway passes as text.
fn is_text_content_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/")
        || matches!(
            media.as_str(),
            "application/json" | "application/xml" | "application/x-www-form-urlencoded"
        )
        || (media.starts_with("application/")
            && (media.ends_with("+json") || media.ends_with("+xml")))
}

/// `queryStringParameters`: decoded, repeated keys joined with `,`.
fn query_parameters(raw: &str) -> Map<String, Value> {
    let mut params = Map::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key, true);
        let value = percent_decode(value, true);
        match params.get_mut(&key) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            _ => {
                params.insert(key, Value::String(value));
            }
        }
    }
    params
}

/// Percent-decodes `input` (invalid escapes kept as they are, invalid UTF-8
/// replaced); `+` becomes a space when `plus_as_space`.
fn percent_decode(input: &str, plus_as_space: bool) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'%' {
            let high = bytes.get(index + 1).and_then(|b| hex_value(*b));
            let low = bytes.get(index + 2).and_then(|b| hex_value(*b));
            if let (Some(high), Some(low)) = (high, low) {
                out.push(high * 16 + low);
                index += 3;
                continue;
            }
        }
        out.push(if plus_as_space && byte == b'+' {
            b' '
        } else {
            byte
        });
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// The port the client connected to, from `Host` (80 when it has none).
fn forwarded_port(host: Option<&str>) -> u16 {
    host.and_then(|h| h.parse::<http::uri::Authority>().ok())
        .and_then(|a| a.port_u16())
        .unwrap_or(80)
}

/// `domainPrefix`: the first label of the host name (the whole name for an
/// IP address).
fn domain_prefix(domain_name: &str) -> String {
    let hostname = domain_name
        .parse::<http::uri::Authority>()
        .map(|a| a.host().to_owned())
        .unwrap_or_else(|_| domain_name.to_owned());
    let bare = hostname.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() {
        return hostname;
    }
    hostname.split('.').next().unwrap_or_default().to_owned()
}

fn format_time(now: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    now.format(&format).unwrap_or_default()
}

fn epoch_millis(now: OffsetDateTime) -> i64 {
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// An id shaped like API Gateway's (`Xk2mAbCdIAMEbNQ=`).
fn new_request_id() -> String {
    let id = uuid::Uuid::new_v4();
    BASE64.encode(&id.as_bytes()[..11])
}

/// An X-Ray trace header: `Root=1-<epoch seconds, hex>-<96 random bits>`.
fn new_trace_id(now: OffsetDateTime) -> String {
    let random: String = uuid::Uuid::new_v4().as_bytes()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("Root=1-{:08x}-{random}", now.unix_timestamp())
}

/// Maps a function's payload 2.0 response to the HTTP response.
fn function_response(payload: &[u8]) -> Result<Response<Bytes>, String> {
    let value: Value = serde_json::from_slice(payload)
        .map_err(|e| format!("the function's response is not JSON: {e}"))?;
    let Some(object) = value.as_object().filter(|o| o.contains_key("statusCode")) else {
        // No statusCode: API Gateway infers a 200 JSON response.
        let body = match &value {
            Value::String(text) => Bytes::from(text.clone().into_bytes()),
            _ => Bytes::copy_from_slice(payload),
        };
        let mut response = Response::new(body);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return Ok(response);
    };

    let status = match object.get("statusCode") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .and_then(|n| u16::try_from(n).ok())
    .filter(|n| (100..=599).contains(n))
    .and_then(|n| StatusCode::from_u16(n).ok())
    .ok_or_else(|| format!("invalid statusCode {}", object["statusCode"]))?;

    let mut headers = HeaderMap::new();
    match object.get("multiValueHeaders") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, values) in map {
                match values {
                    Value::Null => {}
                    Value::Array(values) => {
                        for value in values {
                            append_header(&mut headers, name, value)?;
                        }
                    }
                    other => append_header(&mut headers, name, other)?,
                }
            }
        }
        Some(other) => return Err(format!("multiValueHeaders is not an object: {other}")),
    }
    match object.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                append_header(&mut headers, name, value)?;
            }
        }
        Some(other) => return Err(format!("headers is not an object: {other}")),
    }
    match object.get("cookies") {
        None | Some(Value::Null) => {}
        Some(Value::Array(cookies)) => {
            for cookie in cookies {
                let cookie = cookie
                    .as_str()
                    .ok_or_else(|| format!("a cookie is not a string: {cookie}"))?;
                let value = HeaderValue::from_str(cookie)
                    .map_err(|_| format!("invalid cookie `{cookie}`"))?;
                headers.append(header::SET_COOKIE, value);
            }
        }
        Some(other) => return Err(format!("cookies is not an array: {other}")),
    }
    for hop in [
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::CONNECTION,
    ] {
        headers.remove(hop);
    }

    let is_base64 = object
        .get("isBase64Encoded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let body = match object.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) if is_base64 => BASE64
            .decode(text.trim())
            .map(Bytes::from)
            .map_err(|e| format!("the body is not valid base64: {e}"))?,
        Some(Value::String(text)) => Bytes::from(text.clone().into_bytes()),
        Some(other) => return Err(format!("the body is not a string: {other}")),
    };
    if !body.is_empty() && !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }

    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

fn append_header(headers: &mut HeaderMap, name: &str, value: &Value) -> Result<(), String> {
    let text = match value {
        Value::Null => return Ok(()),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => {
            return Err(format!(
                "the value of header `{name}` is not a string: {other}"
            ))
        }
    };
    let name =
        HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("invalid header `{name}`"))?;
    let value = HeaderValue::from_str(&text)
        .map_err(|_| format!("invalid value for header `{name}`: {text:?}"))?;
    headers.append(name, value);
    Ok(())
}

/// API Gateway's own error answers: `{"message":"<reason>"}`.
fn error_response(status: StatusCode) -> Response<Bytes> {
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "Request Entity Too Large",
        other => other.canonical_reason().unwrap_or("Error"),
    };
    let mut response = Response::new(Bytes::from(json!({ "message": message }).to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn empty_response(status: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    response
}

/// All values of a header joined with `,` (lossy UTF-8); `None` if absent.
fn header_text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

fn insert_text(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// The axum handler: reads the body (up to the limit) and answers.
async fn serve_request(
    State(gateway): State<Arc<Gateway>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let source_ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |info| {
            info.0.ip().to_canonical()
        });
    let (parts, body) = request.into_parts();
    let body = read_body(&parts.headers, body).await;
    gateway
        .respond(parts, body, source_ip)
        .await
        .map(axum::body::Body::from)
}

async fn read_body(headers: &HeaderMap, body: axum::body::Body) -> RequestBody {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BODY_BYTES as u64) {
        return RequestBody::TooLarge;
    }
    let mut stream = body.into_data_stream();
    let mut buffer = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => {
                if buffer.len() + chunk.len() > MAX_REQUEST_BODY_BYTES {
                    return RequestBody::TooLarge;
                }
                buffer.extend_from_slice(&chunk);
            }
            Err(_) => return RequestBody::Unreadable,
        }
    }
    RequestBody::Complete(buffer.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn route(method: &str, path: &str) -> CompiledRoute {
        CompiledRoute::new(&HttpRoute {
            method: method.into(),
            path: path.into(),
            function: "F".into(),
        })
        .unwrap()
    }

    fn segments(path: &str) -> Vec<&str> {
        request_segments(path).unwrap()
    }

    #[test]
    fn route_paths_parse_into_segments() {
        assert_eq!(parse_route_path("/").unwrap(), vec![]);
        assert_eq!(
            parse_route_path("/users/{id}").unwrap(),
            vec![
                Segment::Literal("users".into()),
                Segment::Param("id".into())
            ]
        );
        assert_eq!(
            parse_route_path("/files/{proxy+}").unwrap(),
            vec![
                Segment::Literal("files".into()),
                Segment::Greedy("proxy".into())
            ]
        );
        assert!(parse_route_path("/files/{proxy+}/x").is_err());
        assert!(parse_route_path("users").is_err());
        assert!(parse_route_path("/{+}").is_err());
    }

    #[test]
    fn params_never_match_empty_segments_and_greedy_needs_one_segment() {
        let by_id = route("GET", "/users/{id}");
        assert_eq!(
            by_id.match_segments(&segments("/users/42")),
            Some(vec![("id".into(), "42".into())])
        );
        assert_eq!(by_id.match_segments(&segments("/users/")), None);
        assert_eq!(by_id.match_segments(&segments("/users")), None);
        assert_eq!(by_id.match_segments(&segments("/users/42/x")), None);

        let greedy = route("ANY", "/files/{proxy+}");
        assert_eq!(greedy.match_segments(&segments("/files")), None);
        assert_eq!(greedy.match_segments(&segments("/files/")), None);
        assert_eq!(
            greedy.match_segments(&segments("/files/a/b/")),
            Some(vec![("proxy".into(), "a/b/".into())])
        );

        let root = route("GET", "/");
        assert_eq!(root.match_segments(&segments("/")), Some(vec![]));
        assert_eq!(root.match_segments(&segments("/x")), None);
    }

    #[test]
    fn specificity_orders_routes_as_api_gateway_does() {
        let order = [
            route("GET", "/pets/dog/1"),
            route("GET", "/pets/dog/{id}"),
            route("ANY", "/pets/dog/{id}"),
            route("GET", "/pets/{kind}/{id}"),
            route("GET", "/pets/{proxy+}"),
            route("ANY", "/{proxy+}"),
        ];
        for pair in order.windows(2) {
            assert!(
                pair[0].specificity > pair[1].specificity,
                "{} should beat {}",
                pair[0].route_key,
                pair[1].route_key
            );
        }
        // At the first differing segment a literal beats a parameter.
        assert!(route("GET", "/a/b/{x}").specificity > route("GET", "/a/{y}/c").specificity);
    }

    #[test]
    fn queries_are_decoded_and_repeated_keys_joined() {
        let params = query_parameters("a=1&a=2&b=x%20y&c=1+2&flag&&d=%E2%9C%93");
        assert_eq!(
            Value::Object(params),
            json!({"a": "1,2", "b": "x y", "c": "1 2", "flag": "", "d": "✓"})
        );
        assert!(query_parameters("").is_empty());
    }

    #[test]
    fn percent_decoding_keeps_invalid_escapes() {
        assert_eq!(percent_decode("/a%20b/%zz/%4", false), "/a b/%zz/%4");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("a+b", true), "a b");
    }

    #[test]
    fn text_content_types() {
        for text in [
            "text/plain",
            "text/html; charset=utf-8",
            "application/json",
            "Application/JSON; charset=UTF-8",
            "application/problem+json",
            "application/xml",
            "application/atom+xml",
            "application/x-www-form-urlencoded",
        ] {
            assert!(is_text_content_type(text), "{text}");
        }
        for binary in [
            "application/octet-stream",
            "image/png",
            "multipart/form-data",
        ] {
            assert!(!is_text_content_type(binary), "{binary}");
        }
    }

    #[test]
    fn domain_prefix_and_port() {
        assert_eq!(
            domain_prefix("a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"),
            "a1b2c3d4e5"
        );
        assert_eq!(domain_prefix("localhost:3000"), "localhost");
        assert_eq!(domain_prefix("127.0.0.1:3000"), "127.0.0.1");
        assert_eq!(domain_prefix("[::1]:3000"), "[::1]");
        assert_eq!(forwarded_port(Some("localhost:3000")), 3000);
        assert_eq!(forwarded_port(Some("example.com")), 80);
        assert_eq!(forwarded_port(None), 80);
    }

    #[test]
    fn time_and_ids_have_api_gateway_shapes() {
        let moment = time::macros::datetime!(2026-11-22 09:15:02.123 UTC);
        assert_eq!(format_time(moment), "22/Nov/2026:09:15:02 +0000");
        assert_eq!(epoch_millis(moment), 1_795_338_902_123);
        let id = new_request_id();
        assert_eq!(id.len(), 16);
        assert!(id.ends_with('='));
        assert_ne!(id, new_request_id());
        let trace = new_trace_id(moment);
        assert!(trace.starts_with("Root=1-6b02b296-"), "{trace}");
        assert_eq!(trace.len(), "Root=1-".len() + 8 + 1 + 24);
    }

    #[test]
    fn origins_match_exactly_or_by_wildcard() {
        let cors = CorsConfig {
            allow_origins: vec![
                "https://app.example.com".into(),
                "http://localhost:*".into(),
            ],
            allow_headers: vec![],
            allow_methods: vec![],
            expose_headers: vec![],
            max_age: None,
            allow_credentials: false,
        };
        assert!(origin_allowed(&cors, "https://app.example.com"));
        assert!(origin_allowed(&cors, "HTTPS://APP.example.com"));
        assert!(origin_allowed(&cors, "http://localhost:5173"));
        assert!(!origin_allowed(&cors, "https://evil.example.com"));
        assert!(!origin_allowed(&cors, "https://app.example.com.evil"));
        assert!(!origin_allowed(&cors, ""));
    }

    #[test]
    fn inferred_and_structured_responses() {
        let inferred = function_response(br#"{"message":"hi"}"#).unwrap();
        assert_eq!(inferred.status(), StatusCode::OK);
        assert_eq!(inferred.headers()["content-type"], "application/json");
        assert_eq!(inferred.body().as_ref(), br#"{"message":"hi"}"#);

        let string = function_response(br#""Hello from Lambda!""#).unwrap();
        assert_eq!(string.body().as_ref(), b"Hello from Lambda!");

        let structured = function_response(
            br#"{"statusCode":201,"headers":{"X-A":"1","content-length":"999"},
                "multiValueHeaders":{"x-b":["1","2"]},"cookies":["a=1","b=2"],"body":"done"}"#,
        )
        .unwrap();
        assert_eq!(structured.status(), StatusCode::CREATED);
        assert_eq!(structured.headers()["x-a"], "1");
        assert_eq!(structured.headers().get_all("x-b").iter().count(), 2);
        assert_eq!(structured.headers().get_all("set-cookie").iter().count(), 2);
        assert!(structured.headers().get("content-length").is_none());
        assert_eq!(
            structured.headers()["content-type"],
            "text/plain; charset=utf-8"
        );

        assert!(function_response(b"not json").is_err());
        assert!(function_response(br#"{"statusCode":"abc"}"#).is_err());
        assert!(function_response(br#"{"statusCode":200,"body":{"a":1}}"#).is_err());
        assert!(
            function_response(br#"{"statusCode":200,"isBase64Encoded":true,"body":"!!"}"#).is_err()
        );
    }

    proptest! {
        #[test]
        fn greedy_captures_any_non_empty_rest(
            rest in proptest::collection::vec("[a-z0-9._-]{1,8}", 1..6)
        ) {
            let greedy = route("ANY", "/files/{proxy+}");
            let path = format!("/files/{}", rest.join("/"));
            prop_assert_eq!(
                greedy.match_segments(&segments(&path)),
                Some(vec![("proxy".to_owned(), rest.join("/"))])
            );
        }

        #[test]
        fn percent_decoding_inverts_encoding(text in "\\PC{0,20}") {
            let encoded: String = text
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect();
            prop_assert_eq!(percent_decode(&encoded, false), text);
        }
    }
}
