//! The `Idempotency-Key` header on creates: wraps a handler so that a
//! retried request gets the first response again (marked
//! `idempotent-replayed: true`) and creates nothing new. See
//! `store::idempotency` for how keys are claimed, leased and kept.
//!
//! Callers validate the request before they call [`idempotent`], so a key
//! is only claimed for a request that can be carried out; and they scope
//! the key to the caller (the user, or the source IP when anonymous), so
//! one caller's key never answers another's request.

use crate::api::ApiReply;

use crate::error::{ApiError, ApiResult};
use crate::http::{header, problem_response, RequestMeta};
use crate::store::idempotency::{Claim, StoredResponse};
use crate::store::Store;
use aws_lc_rs::digest;
use futures::Future;
use http::header::{HeaderName, HeaderValue};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";
/// Response headers worth replaying.
const KEPT_HEADERS: [&str; 4] = ["content-type", "location", "etag", "cache-control"];

fn parse_key(raw: &str) -> ApiResult<&str> {
    let valid = !raw.is_empty() && raw.len() <= 255 && raw.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(raw)
    } else {
        Err(ApiError::bad_request(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ))
    }
}

fn fingerprint(meta: &RequestMeta, req: &Request) -> String {
    let body: &[u8] = match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(meta.route_key.as_bytes());
    context.update(&[0]);
    context.update(body);
    hex::encode(context.finish())
}

fn stored(response: &Response<Body>) -> StoredResponse {
    let body = match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    };
    let headers = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = response.headers().get(*name)?.to_str().ok()?;
            Some(((*name).to_owned(), value.to_owned()))
        })
        .collect();
    StoredResponse {
        status: response.status().as_u16(),
        headers,
        body,
    }
}

fn replay(response: StoredResponse) -> ApiReply {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(response.status).unwrap_or(StatusCode::OK))
        .header(REPLAYED, "true");
    for (name, value) in &response.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            builder = builder.header(name, value);
        }
    }
    builder
        .body(if response.body.is_empty() {
            Body::Empty
        } else {
            Body::Text(response.body)
        })
        .map_err(|e| ApiError::Internal(e.into()))
}

/// Refuses a malformed `Idempotency-Key` header, for callers that do other
/// work (such as counting a rate limit) before [`idempotent`].
pub fn check_header(req: &Request) -> ApiResult<()> {
    match header(req, HEADER) {
        Some(raw) => parse_key(raw).map(|_| ()),
        None => Ok(()),
    }
}

/// Runs `handler` at most once per (`scope`, key). Without the header it
/// simply runs it. `scope` names the route, plus the caller when known.
pub async fn idempotent<F, Fut>(
    store: &Store,
    scope: &str,
    meta: &RequestMeta,
    req: &Request,
    handler: F,
) -> ApiReply
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiReply>,
{
    let Some(raw) = header(req, HEADER) else {
        return handler().await;
    };
    let key = parse_key(raw)?;
    let now = crate::clock::now();
    let lease =
        match store
            .claim_idempotency_key(scope, key, &fingerprint(meta, req), now)
            .await?
        {
            Claim::New(lease) => lease,
            Claim::Replay(response) => return replay(response),
            Claim::InProgress => {
                return Err(ApiError::Conflict(
                    "a request with this Idempotency-Key is still being processed; retry shortly"
                        .into(),
                ))
            }
            Claim::Committed => return Err(ApiError::Conflict(
                "a request with this Idempotency-Key was already carried out, but its response \
                 was not kept; read the resource instead of retrying"
                    .into(),
            )),
            Claim::Mismatch => {
                return Err(ApiError::invalid_field(
                    "Idempotency-Key",
                    "was already used for a different request",
                ))
            }
        };
    let response = match lease.hold(handler()).await {
        Ok(response) => response,
        Err(error) => problem_response(&error, meta),
    };
    if response.status().is_server_error() && !lease.committed() {
        // Our failure before any change: let the retry run for real.
        if let Err(error) = store.release_idempotency_key(&lease).await {
            tracing::warn!(error = %error, "releasing an idempotency key failed");
        }
    } else if let Err(error) = store
        .complete_idempotency_key(&lease, &stored(&response))
        .await
    {
        tracing::warn!(error = %error, "storing an idempotent response failed");
        // A change that committed keeps its key; anything else may run again.
        if !lease.committed() {
            let _ = store.release_idempotency_key(&lease).await;
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(parse_key("3f2a-retry-1").is_ok());
        assert!(parse_key("").is_err());
        assert!(parse_key("has space").is_err());
        assert!(parse_key(&"k".repeat(256)).is_err());
        assert!(parse_key("ключ").is_err());
    }
}
