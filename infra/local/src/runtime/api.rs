//! The Lambda Runtime API that one function instance (one child process)
//! talks to: `GET /2018-06-01/runtime/invocation/next` (long poll),
//! `POST …/invocation/{id}/response`, `POST …/invocation/{id}/error` and
//! `POST /2018-06-01/runtime/init/error`, on a loopback port of its own.
//!
//! Invariant: every invocation handed out by `next` is answered exactly
//! once — by the function's response or error, or by the instance's owner
//! (timeout, crash) — because its responder is removed from `in_flight` by
//! whichever comes first.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot, Mutex, Notify};

/// Lambda's limit for a synchronous response payload.
const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// One event on its way to an instance.
pub struct Pending {
    pub request_id: String,
    pub payload: Vec<u8>,
    pub deadline_ms: u128,
    pub function_arn: String,
    pub trace_id: String,
    /// Told when the instance picks the event up (the invocation's start).
    pub started: oneshot::Sender<Instant>,
    /// Told how the invocation ended.
    pub respond: oneshot::Sender<Answer>,
}

/// What the function said about one invocation.
#[derive(Debug)]
pub enum Answer {
    Response(Vec<u8>),
    Error {
        error_type: String,
        error_message: String,
    },
}

/// The state one instance's API serves from.
pub struct InstanceApi {
    queue: Mutex<mpsc::Receiver<Pending>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    /// Set when the runtime first asks for work: its init is over.
    pub ready: Notify,
    pub init_error: Mutex<Option<Answer>>,
}

impl InstanceApi {
    pub fn new(queue: mpsc::Receiver<Pending>) -> Arc<Self> {
        Arc::new(Self {
            queue: Mutex::new(queue),
            in_flight: Mutex::new(HashMap::new()),
            ready: Notify::new(),
            init_error: Mutex::new(None),
        })
    }

    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .layer(DefaultBodyLimit::max(MAX_RESPONSE_BYTES))
            .with_state(Arc::clone(self))
    }
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

async fn next(State(api): State<Arc<InstanceApi>>) -> Response {
    api.ready.notify_one();
    let pending = api.queue.lock().await.recv().await;
    let Some(pending) = pending else {
        // The instance is being shut down.
        return StatusCode::GONE.into_response();
    };
    api.in_flight
        .lock()
        .await
        .insert(pending.request_id.clone(), pending.respond);
    let _ = pending.started.send(Instant::now());
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", header(&pending.request_id));
    headers.insert(
        "lambda-runtime-deadline-ms",
        header(&pending.deadline_ms.to_string()),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        header(&pending.function_arn),
    );
    headers.insert("lambda-runtime-trace-id", header(&pending.trace_id));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (StatusCode::OK, headers, pending.payload).into_response()
}

async fn response(
    State(api): State<Arc<InstanceApi>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    answer(&api, &id, Answer::Response(body.to_vec())).await
}

/// The error type a runtime may name in a header instead of the body.
fn error_type_header(headers: &HeaderMap, default: &str) -> String {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(default)
        .to_owned()
}

/// The body Lambda runtimes post with an error.
fn parse_error(body: &[u8], fallback_type: &str) -> Answer {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    Answer::Error {
        error_type: text("errorType").unwrap_or_else(|| fallback_type.to_owned()),
        error_message: text("errorMessage")
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()),
    }
}

async fn error(
    State(api): State<Arc<InstanceApi>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let fallback = error_type_header(&headers, "Unhandled");
    answer(&api, &id, parse_error(&body, &fallback)).await
}

async fn init_error(
    State(api): State<Arc<InstanceApi>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let fallback = error_type_header(&headers, "Runtime.InitError");
    *api.init_error.lock().await = Some(parse_error(&body, &fallback));
    api.ready.notify_one();
    StatusCode::ACCEPTED
}

async fn answer(api: &InstanceApi, id: &str, answer: Answer) -> StatusCode {
    match api.in_flight.lock().await.remove(id) {
        Some(respond) => {
            let _ = respond.send(answer);
            StatusCode::ACCEPTED
        }
        // Unknown, already answered, or timed out: Lambda answers 400/410.
        None => StatusCode::BAD_REQUEST,
    }
}
