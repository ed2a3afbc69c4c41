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
//!
//! The pieces live in submodules named after their concepts: `routes`
//! (route compilation, matching and priority), `event` (the payload 2.0
//! event), `integration` (invoking the function within the integration
//! timeout), `response` (mapping the function's answer, and the gateway's
//! own answers), `cors` (preflights and response headers) and `server`
//! (the axum glue).

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use time::OffsetDateTime;

use crate::template::{CorsConfig, HttpRoute};
use crate::Invoke;

use self::cors::{apply_cors, is_preflight, preflight_response};
use self::event::{build_event, new_request_id, percent_decode, EventInput};
use self::response::error_response;
use self::routes::CompiledRoute;
use self::server::serve_request;

mod cors;
mod event;
mod integration;
mod response;
mod routes;
mod server;

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
        self.serve_beside(listener, axum::Router::new(), shutdown)
            .await
    }

    /// As [`Gateway::serve_on`], with `local` answering its own paths (the
    /// local runtime's pages, such as `/docs`) before any route of the
    /// template, `$default` included, is matched; `local` has no fallback.
    pub async fn serve_beside(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        local: axum::Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let make_service = local
            .merge(self.router())
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

    /// Answers a request whose body has been read (or refused): preflight,
    /// routing, integration, then CORS and the request id on the way out.
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
                _ => match routes::select(
                    &self.routes,
                    self.default_function.as_deref(),
                    &parts.method,
                    &path,
                ) {
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
            apply_cors(
                self.cors.as_ref(),
                response.headers_mut(),
                origin.as_deref(),
            );
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
}

/// How the request body arrived.
enum RequestBody {
    Complete(Bytes),
    TooLarge,
    Unreadable,
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
