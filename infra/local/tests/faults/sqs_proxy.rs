//! An HTTP proxy in front of moto that makes `SendMessageBatch` fail in
//! part or in whole, so that SQS really receives only what the proxy lets
//! through.
//!
//! aws-sdk-sqs speaks AWS JSON 1.0: the operation is in the `x-amz-target`
//! header, the batch is a JSON body with `QueueUrl` and `Entries`, and the
//! result lists `Successful` and `Failed` entries by their `Id`. A refused
//! entry is removed before the batch is forwarded and added to `Failed` as
//! a server-side `InternalError`, as SQS reports a transient failure.
//!
//! Refused for good, as SQS refuses them (a sender fault,
//! `InvalidMessageContents`): every entry whose body or attributes hold a
//! character SQS does not accept (such as U+FFFF), and the envelopes named
//! by [`SqsProxy::refusing_for_good`].

use super::envelope_id;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What the proxy has done so far.
#[derive(Debug, Default)]
pub struct SendLog {
    /// (queue URL, envelope id) → batches the envelope was in.
    pub seen: HashMap<(String, String), u32>,
    /// Entries removed from batches and reported as failed (transient).
    pub refused: u32,
    /// Batches answered with HTTP 500.
    pub server_errors: u32,
    /// Batches sent to `failing_queue`.
    pub batches_to_failing_queue: u32,
    /// (queue URL, envelope id) → times it was passed on to moto.
    pub delivered: HashMap<(String, String), u32>,
    /// Entries refused for good (sender faults).
    pub refused_for_good: u32,
}

/// What becomes of one batch.
enum Decision {
    /// HTTP 500 for the whole batch.
    ServerError,
    /// `kept` is forwarded; `refused` is reported as failed.
    Split {
        kept: Vec<Value>,
        refused: Vec<Value>,
        invalid: Vec<Value>,
    },
}

pub struct SqsProxy {
    moto: String,
    http: reqwest::Client,
    /// Envelope id → how many batches to each queue it is refused from
    /// before it is let through.
    refusals: HashMap<String, u32>,
    /// The queue whose first `failing_requests` batches get HTTP 500.
    failing_queue: String,
    failing_requests: u32,
    /// Envelope ids SQS refuses for good in any batch.
    for_good: std::collections::HashSet<String>,
    log: Mutex<SendLog>,
}

impl SqsProxy {
    pub fn new(
        moto: String,
        refusals: HashMap<String, u32>,
        failing_queue: String,
        failing_requests: u32,
    ) -> Self {
        Self {
            moto,
            http: reqwest::Client::new(),
            refusals,
            failing_queue,
            failing_requests,
            for_good: Default::default(),
            log: Mutex::new(SendLog::default()),
        }
    }

    /// Also refuses these envelopes for good, as SQS refuses contents it
    /// cannot take.
    pub fn refusing_for_good(mut self, ids: impl IntoIterator<Item = String>) -> Self {
        self.for_good.extend(ids);
        self
    }

    pub fn log(&self) -> std::sync::MutexGuard<'_, SendLog> {
        self.log.lock().expect("not poisoned")
    }

    /// Serves the proxy on a free loopback port; returns its URL and task.
    pub async fn start(self: Arc<Self>) -> (String, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let address = listener.local_addr().expect("a local address");
        let app =
            axum::Router::new().fallback(move |request: Request| self.clone().handle(request));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the proxy serves");
        });
        (format!("http://{address}"), task)
    }

    async fn handle(self: Arc<Self>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("a request body");
        let is_batch_send = parts
            .headers
            .get("x-amz-target")
            .is_some_and(|target| target == "AmazonSQS.SendMessageBatch");
        if !is_batch_send {
            return self.forward(&parts, body).await;
        }
        let mut batch: Value = serde_json::from_slice(&body).expect("a JSON SendMessageBatch");
        let queue = batch["QueueUrl"].as_str().unwrap_or_default().to_owned();
        let entries = batch["Entries"].as_array().cloned().unwrap_or_default();
        let (kept, refused) = match self.decide(&queue, entries) {
            Decision::ServerError => {
                return json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({"__type": "InternalError", "message": "injected"}),
                )
            }
            Decision::Split {
                kept,
                refused,
                invalid,
            } => (kept, (refused, invalid)),
        };
        let (refused, invalid) = refused;
        let mut failed: Vec<Value> = refused
            .iter()
            .map(|entry| {
                json!({"Id": entry["Id"], "SenderFault": false, "Code": "InternalError", "Message": "injected"})
            })
            .collect();
        failed.extend(invalid.iter().map(|entry| {
            json!({"Id": entry["Id"], "SenderFault": true, "Code": "InvalidMessageContents", "Message": "Invalid characters found"})
        }));
        if kept.is_empty() {
            // SQS refuses an empty batch, so this one is answered here.
            return json_response(StatusCode::OK, &json!({"Successful": [], "Failed": failed}));
        }
        batch["Entries"] = Value::Array(kept);
        let response = self.forward(&parts, Bytes::from(batch.to_string())).await;
        if response.status() != StatusCode::OK {
            return response;
        }
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("moto's response");
        let mut result: Value = serde_json::from_slice(&body).expect("a JSON batch result");
        let mut all_failed = result["Failed"].as_array().cloned().unwrap_or_default();
        all_failed.extend(failed);
        result["Failed"] = Value::Array(all_failed);
        json_response(StatusCode::OK, &result)
    }

    fn decide(&self, queue: &str, entries: Vec<Value>) -> Decision {
        let mut log = self.log();
        if queue == self.failing_queue {
            log.batches_to_failing_queue += 1;
            if log.batches_to_failing_queue <= self.failing_requests {
                log.server_errors += 1;
                return Decision::ServerError;
            }
        }
        let (invalid, entries): (Vec<Value>, Vec<Value>) = entries.into_iter().partition(|entry| {
            let id =
                envelope_id(entry["MessageBody"].as_str().unwrap_or_default()).unwrap_or_default();
            !sqs_accepts(entry) || self.for_good.contains(&id)
        });
        log.refused_for_good += invalid.len() as u32;
        let (kept, refused): (Vec<Value>, Vec<Value>) = entries.into_iter().partition(|entry| {
            let id =
                envelope_id(entry["MessageBody"].as_str().unwrap_or_default()).unwrap_or_default();
            let limit = self.refusals.get(&id).copied().unwrap_or(0);
            let seen = log.seen.entry((queue.to_owned(), id)).or_default();
            *seen += 1;
            *seen > limit
        });
        log.refused += refused.len() as u32;
        for entry in &kept {
            let id =
                envelope_id(entry["MessageBody"].as_str().unwrap_or_default()).unwrap_or_default();
            *log.delivered.entry((queue.to_owned(), id)).or_default() += 1;
        }
        Decision::Split {
            kept,
            refused,
            invalid,
        }
    }

    async fn forward(&self, parts: &http::request::Parts, body: Bytes) -> Response {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut headers = parts.headers.clone();
        headers.remove(http::header::HOST);
        headers.remove(http::header::CONTENT_LENGTH);
        let upstream = self
            .http
            .request(parts.method.clone(), format!("{}{path}", self.moto))
            .headers(headers)
            .body(body)
            .send()
            .await
            .expect("moto answers");
        let mut response = Response::builder().status(upstream.status());
        for (name, value) in upstream.headers() {
            if name != http::header::CONTENT_LENGTH && name != http::header::TRANSFER_ENCODING {
                response = response.header(name, value);
            }
        }
        let body = upstream.bytes().await.expect("moto's response body");
        response.body(Body::from(body)).expect("a response")
    }
}

/// Whether SQS takes an entry's characters: its body and every string
/// attribute value.
fn sqs_accepts(entry: &Value) -> bool {
    let body = entry["MessageBody"].as_str().unwrap_or_default();
    let attributes = entry["MessageAttributes"]
        .as_object()
        .into_iter()
        .flat_map(|a| a.values())
        .filter_map(|a| a["StringValue"].as_str());
    std::iter::once(body)
        .chain(attributes)
        .all(|text| text.chars().all(opsflow_platform::events::queue_accepts))
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/x-amz-json-1.0")
        .body(Body::from(body.to_string()))
        .expect("a response")
}
