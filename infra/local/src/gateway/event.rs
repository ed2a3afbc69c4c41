//! The payload format 2.0 event sent to the function: headers, cookies,
//! query string, body and `requestContext`, built from the request and the
//! route that matched it.
//!
//! Invariant: the event holds what API Gateway would send and nothing more —
//! `cookie` headers appear only as `cookies`, the forwarding headers are the
//! gateway's own, optional fields (`cookies`, `queryStringParameters`,
//! `pathParameters`, `body`) are omitted when empty, and a body is passed as
//! it is only when its content type is text and it is valid UTF-8
//! (otherwise it is base64-encoded with `isBase64Encoded: true`).

use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use http::header;
use http::request::Parts;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::{header_text, ACCOUNT_ID, API_ID, TRACE_ID_HEADER};

/// What the event is built from.
pub(super) struct EventInput<'a> {
    pub(super) parts: &'a Parts,
    pub(super) path: &'a str,
    pub(super) body: &'a Bytes,
    pub(super) route_key: &'a str,
    pub(super) path_parameters: &'a [(String, String)],
    pub(super) source_ip: IpAddr,
    pub(super) request_id: &'a str,
    pub(super) now: OffsetDateTime,
}

/// The payload format 2.0 event for a request.
pub(super) fn build_event(input: &EventInput<'_>) -> Value {
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
pub(super) fn percent_decode(input: &str, plus_as_space: bool) -> String {
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
pub(super) fn new_request_id() -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    proptest! {
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
