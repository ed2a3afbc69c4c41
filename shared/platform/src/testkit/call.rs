//! Requests and replies of the test harness: a [`Call`] is a recorded API
//! Gateway event from `events/`, edited per case (body, token, headers,
//! source address, path and query), and a [`Reply`] is the response as a
//! client sees it, its body parsed as JSON.

use super::{fixture, Account};
use http::HeaderMap;
use lambda_http::Request;
use serde_json::{json, Value};

/// A request built from a recorded event in `events/`.
#[derive(Debug, Clone)]
pub struct Call {
    fixture: String,
    event: Value,
}

impl Call {
    pub fn new(fixture_name: &str) -> Self {
        Self {
            fixture: fixture_name.to_owned(),
            event: fixture(fixture_name),
        }
    }

    pub(super) fn function(&self) -> &str {
        self.fixture.split('/').next().unwrap_or_default()
    }

    pub fn body(self, body: Value) -> Self {
        self.raw_body(&body.to_string())
    }

    pub fn raw_body(mut self, body: &str) -> Self {
        self.event["body"] = Value::String(body.to_owned());
        self.event["headers"]["content-length"] = Value::String(body.len().to_string());
        if self.event["headers"].get("content-type").is_none() {
            self.event["headers"]["content-type"] = json!("application/json");
        }
        self
    }

    pub fn no_body(mut self) -> Self {
        if let Some(event) = self.event.as_object_mut() {
            event.remove("body");
        }
        self
    }

    /// `Some(token)` sets the bearer token, `None` removes the header.
    pub fn token(mut self, token: Option<&str>) -> Self {
        let headers = self.event["headers"].as_object_mut().unwrap();
        match token {
            Some(token) => {
                headers.insert("authorization".into(), json!(format!("Bearer {token}")));
            }
            None => {
                headers.remove("authorization");
            }
        }
        self
    }

    /// Signs the request in as `account` (its access token).
    pub fn by(self, account: &Account) -> Self {
        self.token(Some(&account.tokens.access))
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.event["headers"][name] = json!(value);
        self
    }

    /// Sets the caller's address as API Gateway reports it
    /// (`requestContext.http.sourceIp`). `x-forwarded-for` gets another,
    /// fixed value, as a client may send anything there: a limit that
    /// followed it instead would lump every test caller together.
    pub fn ip(mut self, ip: &str) -> Self {
        self.event["requestContext"]["http"]["sourceIp"] = json!(ip);
        self.event["headers"]["x-forwarded-for"] = json!("203.0.113.250");
        self
    }

    /// Sets the client-controlled `x-forwarded-for` header alone.
    pub fn forwarded_for(mut self, value: &str) -> Self {
        self.event["headers"]["x-forwarded-for"] = json!(value);
        self
    }

    /// Targets `/api/v1/users/{id}` at `id`.
    pub fn id(self, id: &str) -> Self {
        self.resource_id("users", id)
    }

    /// Targets `/<resource>/{id}` at `id`.
    pub fn resource_id(mut self, resource: &str, id: &str) -> Self {
        let path = format!("/{resource}/{id}");
        self.event["pathParameters"] = json!({"id": id});
        self.event["rawPath"] = json!(path);
        self.event["requestContext"]["http"]["path"] = json!(path);
        self
    }

    /// Fills the route's path parameters (`{"id": …, "delivery_id": …}`)
    /// into its template: the raw path follows.
    pub fn path_params(mut self, params: &[(&str, &str)]) -> Self {
        let route = self.event["routeKey"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut path = route
            .split_once(' ')
            .map(|(_, p)| p.to_owned())
            .unwrap_or_default();
        let mut map = serde_json::Map::new();
        for (name, value) in params {
            path = path.replace(&format!("{{{name}}}"), value);
            map.insert((*name).to_owned(), json!(value));
        }
        self.event["pathParameters"] = Value::Object(map);
        self.event["rawPath"] = json!(path);
        self.event["requestContext"]["http"]["path"] = json!(path);
        self
    }

    /// Sends the request as another route key (`"DELETE /api/v1/auditLogs/{id}"`),
    /// such as one the template does not declare.
    pub fn route(mut self, route_key: &str) -> Self {
        let (method, _) = route_key.split_once(' ').unwrap();
        self.event["routeKey"] = json!(route_key);
        self.event["requestContext"]["routeKey"] = json!(route_key);
        self.event["requestContext"]["http"]["method"] = json!(method);
        self
    }

    /// Replaces the query string (keys may repeat).
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        let raw: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.event["rawQueryString"] = json!(raw.join("&"));
        let mut single = serde_json::Map::new();
        for (k, v) in pairs {
            let joined = match single.get(*k).and_then(Value::as_str) {
                Some(previous) => format!("{previous},{v}"),
                None => (*v).to_owned(),
            };
            single.insert((*k).to_owned(), json!(joined));
        }
        self.event["queryStringParameters"] = Value::Object(single);
        self
    }

    pub fn request(&self) -> Request {
        lambda_http::request::from_str(&self.event.to_string()).unwrap()
    }
}

/// A response, its body parsed as JSON (or `Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl From<lambda_http::Response<lambda_http::Body>> for Reply {
    fn from(response: lambda_http::Response<lambda_http::Body>) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes: Vec<u8> = match response.into_body() {
            lambda_http::Body::Empty => Vec::new(),
            lambda_http::Body::Text(text) => text.into_bytes(),
            lambda_http::Body::Binary(bytes) => bytes,
            _ => Vec::new(),
        };
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Self {
            status,
            headers,
            body,
        }
    }
}

/// The text under `key` of every item of a page (`{"items": [...]}`).
pub fn page_column(page: &Value, key: &str) -> Vec<String> {
    let items = page["items"].as_array();
    let items = items.unwrap_or_else(|| panic!("a page: {page}"));
    let text = |item: &Value| item[key].as_str().map(str::to_owned);
    let text = |item| text(item).unwrap_or_else(|| panic!("{key} in {item}"));
    items.iter().map(text).collect()
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The fields a problem's `errors` name, in order (none for a body
    /// that is not a problem with errors).
    pub fn error_fields(&self) -> Vec<&str> {
        let errors = self.body["errors"].as_array().into_iter().flatten();
        errors.filter_map(|e| e["field"].as_str()).collect()
    }

    /// Asserts a problem response with `status` that names `field`.
    pub fn assert_problem(&self, status: u16, field: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], json!(status));
        assert!(
            self.error_fields().contains(&field),
            "expected field {field} in {}",
            self.body
        );
    }
}
