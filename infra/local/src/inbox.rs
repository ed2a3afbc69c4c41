//! The local webhook inbox that `serve` answers beneath `/_inbox`: a
//! receiver on loopback for the platform's own webhook deliveries, so a
//! newcomer sees what a subscriber gets. `make dev` seeds a subscription to
//! `/_inbox/demo` (see [`crate::seed`]), and the local `WEBHOOK_ALLOW_HOSTS`
//! (the gateway's own address, port included) lets the dispatcher reach it
//! over plain `http`, and no other local port.
//!
//! - `POST /_inbox/{name}` keeps the delivery (the last [`KEPT`]) and
//!   answers `204`; it checks the signature against the secrets of the
//!   subscriptions whose URL is this one, as a receiver would.
//! - `GET /_inbox` lists what arrived, newest first: the time, the path,
//!   the `webhook-id`, the event type (and topic), whether the signature
//!   verifies, and the body.
//!
//! Like `/docs`, these routes belong to the local runtime: the gateway
//! answers them beside the template's routes, and AWS has no such thing.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderMap, StatusCode};
use opsflow_platform::store::Store;
use opsflow_webhooks::domain::signing::verify;
use opsflow_webhooks::store::SubscriptionStore;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Where the inbox is served.
pub const INBOX_PATH: &str = "/_inbox";
/// How many deliveries the inbox keeps.
pub const KEPT: usize = 200;

/// The inbox: the deliveries it got, and the table whose subscriptions'
/// secrets check them.
#[derive(Clone)]
pub struct Inbox {
    store: Store,
    /// `http://<the gateway's address>`, to recognise its subscriptions.
    base_url: String,
    received: Arc<Mutex<VecDeque<Value>>>,
}

impl Inbox {
    pub fn new(store: Store, base_url: String) -> Self {
        Self {
            store,
            base_url,
            received: Arc::default(),
        }
    }

    /// The URL of inbox `name`: what a subscription to it names.
    pub fn url(&self, name: &str) -> String {
        format!("{}{INBOX_PATH}/{name}", self.base_url)
    }

    pub fn router(self) -> axum::Router {
        axum::Router::new()
            .route(INBOX_PATH, get(list))
            .route("/_inbox/{name}", post(receive))
            .with_state(self)
    }

    /// Whether one of the secrets of the subscriptions to `url` signed
    /// this delivery.
    async fn verifies(&self, url: &str, headers: &HeaderMap, body: &[u8]) -> bool {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        let now = opsflow_platform::clock::now();
        let mut start = None;
        loop {
            let Ok((page, next)) = self.store.list_subscriptions(None, 100, start).await else {
                return false;
            };
            for subscription in page.iter().filter(|s| s.url == url) {
                let Ok(secrets) = subscription.secrets() else {
                    continue;
                };
                let signed = verify(
                    &secrets.signing(now),
                    header("webhook-id"),
                    header("webhook-timestamp"),
                    header("webhook-signature"),
                    body,
                    now.unix_timestamp(),
                );
                if signed.is_ok() {
                    return true;
                }
            }
            match next {
                Some(next) => start = Some(next),
                None => return false,
            }
        }
    }
}

async fn receive(
    State(inbox): State<Inbox>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let verified = inbox.verifies(&inbox.url(&name), &headers, &body).await;
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let entry = json!({
        "received_at": opsflow_platform::clock::sortable(opsflow_platform::clock::now()),
        "path": format!("{INBOX_PATH}/{name}"),
        "webhook_id": header("webhook-id"),
        "event": parsed["event"],
        "topic": parsed.get("topic"),
        "signature_verified": verified,
        "body": parsed,
    });
    tracing::info!(
        path = %format!("{INBOX_PATH}/{name}"),
        event = %parsed["event"],
        verified,
        "webhook received in the local inbox"
    );
    if let Ok(mut received) = inbox.received.lock() {
        received.push_front(entry);
        received.truncate(KEPT);
    }
    StatusCode::NO_CONTENT
}

async fn list(State(inbox): State<Inbox>) -> Response {
    let items: Vec<Value> = inbox
        .received
        .lock()
        .map(|received| received.iter().cloned().collect())
        .unwrap_or_default();
    axum::Json(json!({ "items": items })).into_response()
}
