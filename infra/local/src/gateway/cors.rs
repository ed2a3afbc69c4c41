//! CORS, when the API configures it: preflights answered by the gateway and
//! the CORS headers of every other response.
//!
//! Invariant: a preflight never reaches a function, and a response carries
//! only the gateway's CORS headers (the function's own `access-control-*`
//! are dropped) — and those only for an allowed origin; whenever they depend
//! on the origin, `vary: origin` says so.

use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};

use super::header_text;
use super::response::empty_response;
use crate::template::CorsConfig;

pub(super) fn is_preflight(parts: &Parts) -> bool {
    parts.method == Method::OPTIONS
        && parts.headers.contains_key(header::ORIGIN)
        && parts
            .headers
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

pub(super) fn preflight_response(cors: &CorsConfig, request: &HeaderMap) -> Response<Bytes> {
    let mut response = empty_response(StatusCode::NO_CONTENT);
    let origin = header_text(request, &header::ORIGIN).unwrap_or_default();
    if !origin_allowed(cors, &origin) {
        return response;
    }
    let headers = response.headers_mut();
    insert_text(
        headers,
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        &allow_origin_value(cors, &origin),
    );
    let methods = if cors.allow_methods.iter().any(|m| m == "*") {
        header_text(request, &header::ACCESS_CONTROL_REQUEST_METHOD).unwrap_or_default()
    } else {
        cors.allow_methods.join(",")
    };
    if !methods.is_empty() {
        insert_text(headers, header::ACCESS_CONTROL_ALLOW_METHODS, &methods);
    }
    let allowed_headers = if cors.allow_headers.iter().any(|h| h == "*") {
        header_text(request, &header::ACCESS_CONTROL_REQUEST_HEADERS).unwrap_or_default()
    } else {
        cors.allow_headers.join(",")
    };
    if !allowed_headers.is_empty() {
        insert_text(
            headers,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            &allowed_headers,
        );
    }
    if let Some(max_age) = cors.max_age {
        insert_text(
            headers,
            header::ACCESS_CONTROL_MAX_AGE,
            &max_age.to_string(),
        );
    }
    if cors.allow_credentials {
        insert_text(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    add_vary_origin(headers);
    response
}

/// Whether `origin` is in the configured list: `*` allows every origin, an
/// entry with `*` (`https://*`, `https://*.example.com`) is a wildcard,
/// anything else must match exactly (ASCII case-insensitively).
fn origin_allowed(cors: &CorsConfig, origin: &str) -> bool {
    if origin.is_empty() {
        return false;
    }
    let origin = origin.to_ascii_lowercase();
    cors.allow_origins.iter().any(|allowed| {
        let allowed = allowed.to_ascii_lowercase();
        match allowed.split_once('*') {
            None => allowed == origin,
            Some((prefix, suffix)) => {
                origin.len() >= prefix.len() + suffix.len()
                    && origin.starts_with(prefix)
                    && origin.ends_with(suffix)
            }
        }
    })
}

fn allow_origin_value(cors: &CorsConfig, origin: &str) -> String {
    if !cors.allow_credentials && cors.allow_origins.iter().any(|o| o == "*") {
        "*".to_owned()
    } else {
        origin.to_owned()
    }
}

fn add_vary_origin(headers: &mut HeaderMap) {
    let present = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            let v = v.trim();
            v == "*" || v.eq_ignore_ascii_case("origin")
        });
    if !present {
        headers.append(header::VARY, HeaderValue::from_static("origin"));
    }
}

/// CORS on a non-preflight response: the function's own CORS headers
/// are dropped and the configured ones added for an allowed origin.
pub(super) fn apply_cors(cors: Option<&CorsConfig>, headers: &mut HeaderMap, origin: Option<&str>) {
    let Some(cors) = cors else {
        return;
    };
    let own: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for name in own {
        headers.remove(name);
    }
    let Some(origin) = origin else {
        return;
    };
    if !origin_allowed(cors, origin) {
        return;
    }
    insert_text(
        headers,
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        &allow_origin_value(cors, origin),
    );
    if cors.allow_credentials {
        insert_text(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    if !cors.expose_headers.is_empty() {
        insert_text(
            headers,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            &cors.expose_headers.join(","),
        );
    }
    add_vary_origin(headers);
}

fn insert_text(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_exactly_or_by_wildcard() {
        let cors = CorsConfig {
            allow_origins: vec![
                "https://app.example.com".into(),
                "http://localhost:*".into(),
            ],
            allow_headers: vec![],
            allow_methods: vec![],
            expose_headers: vec![],
            max_age: None,
            allow_credentials: false,
        };
        assert!(origin_allowed(&cors, "https://app.example.com"));
        assert!(origin_allowed(&cors, "HTTPS://APP.example.com"));
        assert!(origin_allowed(&cors, "http://localhost:5173"));
        assert!(!origin_allowed(&cors, "https://evil.example.com"));
        assert!(!origin_allowed(&cors, "https://app.example.com.evil"));
        assert!(!origin_allowed(&cors, ""));
    }
}
