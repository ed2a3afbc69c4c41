//! Mapping the function's answer back to HTTP (payload 2.0 responses:
//! `statusCode`, `headers`, `multiValueHeaders`, `cookies`, base64 bodies;
//! inferred responses for any other JSON), and the gateway's own answers.
//!
//! Invariant: a function's answer either maps completely to a response or is
//! refused as a whole (the caller then answers `500`); hop-by-hop headers
//! (`content-length`, `transfer-encoding`, `connection`) never pass through,
//! and a non-empty body always has a content type.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

/// Maps a function's payload 2.0 response to the HTTP response.
pub(super) fn function_response(payload: &[u8]) -> Result<Response<Bytes>, String> {
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
pub(super) fn error_response(status: StatusCode) -> Response<Bytes> {
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

pub(super) fn empty_response(status: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
