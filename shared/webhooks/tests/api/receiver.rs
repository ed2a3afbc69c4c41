//! A webhook receiver on loopback for the dispatcher's tests: it records
//! every request and answers from a script of statuses (200 once the
//! script runs out), or never answers.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Inner {
    script: VecDeque<u16>,
    received: Vec<Received>,
    hang: bool,
}

#[derive(Clone, Default)]
pub struct Receiver(Arc<Mutex<Inner>>);

impl Receiver {
    /// A receiver answering `script` in turn; its base URL.
    pub async fn start(script: &[u16]) -> (Self, String) {
        let receiver = Self::default();
        receiver.0.lock().unwrap().script = script.iter().copied().collect();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, format!("http://127.0.0.1:{port}"))
    }

    /// From now on, requests get no answer.
    pub fn hang(&self) {
        self.0.lock().unwrap().hang = true;
    }

    pub fn received(&self) -> Vec<Received> {
        self.0.lock().unwrap().received.clone()
    }
}

async fn answer(
    State(receiver): State<Receiver>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let (status, hang) = {
        let mut inner = receiver.0.lock().unwrap();
        inner.received.push(Received {
            path: uri.path().to_owned(),
            headers,
            body: body.to_vec(),
        });
        (inner.script.pop_front().unwrap_or(200), inner.hang)
    };
    if hang {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        "answered",
    )
}
