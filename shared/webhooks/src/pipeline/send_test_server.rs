//! The loopback HTTP server the sender's tests answer from: it counts
//! connections, keeps every request it reads, and answers from a script.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as a test server read it.
pub(super) struct Request {
    pub start: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

/// What a test server saw.
#[derive(Default)]
pub(super) struct Seen {
    pub connections: AtomicUsize,
    requests: Mutex<Vec<Request>>,
}

impl Seen {
    pub fn requests(&self) -> std::sync::MutexGuard<'_, Vec<Request>> {
        self.requests.lock().expect("lock")
    }
}

/// What a test server does with each request it reads.
#[derive(Clone)]
pub(super) enum Script {
    /// Writes these bytes and closes.
    Answer(Vec<u8>),
    /// Writes these bytes and then holds the connection, silent.
    Stall(Vec<u8>),
}

pub(super) fn answer(status: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
        body.len()
    );
    [head.as_bytes(), body].concat()
}

/// A listener on a free loopback port.
pub(super) async fn bound() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    (listener, port)
}

/// A server on a free loopback port that counts connections.
pub(super) async fn server(script: Script) -> (u16, Arc<Seen>) {
    let (listener, port) = bound().await;
    (port, serve(listener, script))
}

pub(super) fn serve(listener: TcpListener, script: Script) -> Arc<Seen> {
    let seen = Arc::new(Seen::default());
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            record.connections.fetch_add(1, SeqCst);
            let (record, script) = (Arc::clone(&record), script.clone());
            tokio::spawn(async move {
                if let Some(request) = read_request(&mut stream).await {
                    record.requests().push(request);
                }
                let (Script::Answer(bytes) | Script::Stall(bytes)) = &script;
                let _ = stream.write_all(bytes).await;
                if let Script::Stall(_) = script {
                    std::future::pending::<()>().await;
                }
            });
        }
    });
    seen
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut data = Vec::new();
    let mut buffer = [0; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let read = stream.read(&mut buffer).await.ok().filter(|&n| n > 0)?;
        data.extend_from_slice(&buffer[..read]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let start = lines.next()?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = data.split_off(head_end);
    let received = body.len().min(length);
    body.resize(length, 0);
    stream.read_exact(&mut body[received..]).await.ok()?;
    Some(Request {
        start,
        headers,
        body,
    })
}
