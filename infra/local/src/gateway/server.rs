//! The axum glue: every method and path goes to one handler that reads the
//! body and hands the request to `Gateway::respond`.
//!
//! Invariant: a body is never buffered beyond `MAX_REQUEST_BODY_BYTES` —
//! a larger declared `content-length` is refused before reading, and reading
//! stops as soon as the limit is crossed.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use bytes::BytesMut;
use futures::StreamExt as _;
use http::{header, HeaderMap};

use super::{Gateway, RequestBody, MAX_REQUEST_BODY_BYTES};

/// The axum handler: reads the body (up to the limit) and answers.
pub(super) async fn serve_request(
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
