//! The local HTTP API against API Gateway's behaviour: routing, the payload
//! format 2.0 event (compared with the recorded events in `events/`), the
//! mapping of function responses, errors, limits and CORS — through
//! `Gateway::handle`, and once through a real socket.
//!
//! Invariant: each test asserts what a client (or the function) sees, with
//! a stub function recording every event it is given.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use opsflow_local::gateway::{Gateway, MAX_REQUEST_BODY_BYTES};
use opsflow_local::template::{CorsConfig, HttpRoute};
use opsflow_local::{Handle, Invoke, InvokeOutcome};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Responder = dyn Fn(&str, &Value) -> InvokeOutcome + Send + Sync;

/// Records every event it gets and answers with `respond`.
struct Stub {
    calls: Mutex<Vec<(String, Value)>>,
    respond: Box<Responder>,
    delay: Duration,
}

impl Stub {
    fn new(respond: impl Fn(&str, &Value) -> InvokeOutcome + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::new(Vec::new()),
            respond: Box::new(respond),
            delay: Duration::ZERO,
        })
    }

    /// Answers 200 with the function and route key it was invoked for.
    fn echo() -> Arc<Self> {
        Self::new(|function, event| {
            json_response(
                200,
                &json!({"function": function, "routeKey": event["routeKey"]}),
            )
        })
    }

    /// Always answers with this payload.
    fn answering(payload: Value) -> Arc<Self> {
        let bytes = payload.to_string().into_bytes();
        Self::new(move |_, _| InvokeOutcome::Success(bytes.clone()))
    }

    fn calls(&self) -> Vec<(String, Value)> {
        self.calls.lock().expect("the call log is poisoned").clone()
    }

    fn last_event(&self) -> Value {
        self.calls()
            .last()
            .expect("the function was not invoked")
            .1
            .clone()
    }
}

impl Handle for Stub {
    async fn handle(&self, function: &str, payload: Vec<u8>) -> InvokeOutcome {
        let event: Value =
            serde_json::from_slice(&payload).expect("the gateway sent an event that is not JSON");
        self.calls
            .lock()
            .expect("the call log is poisoned")
            .push((function.to_owned(), event.clone()));
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        (self.respond)(function, &event)
    }
}

/// A payload 2.0 response with a JSON body.
fn json_response(status: u16, body: &Value) -> InvokeOutcome {
    InvokeOutcome::Success(
        json!({
            "statusCode": status,
            "headers": {"content-type": "application/json"},
            "body": body.to_string(),
            "isBase64Encoded": false,
            "cookies": [],
        })
        .to_string()
        .into_bytes(),
    )
}

/// Routes from `("METHOD /path", "Function")` pairs.
fn routes(spec: &[(&str, &str)]) -> Vec<HttpRoute> {
    spec.iter()
        .map(|(key, function)| {
            let (method, path) = key.split_once(' ').expect("METHOD /path");
            HttpRoute {
                method: method.to_owned(),
                path: path.to_owned(),
                function: (*function).to_owned(),
            }
        })
        .collect()
}

fn gateway(routes: Vec<HttpRoute>, cors: Option<CorsConfig>, stub: &Arc<Stub>) -> Gateway {
    Gateway::new(routes, cors, Arc::clone(stub) as Arc<dyn Invoke>).expect("the routes are valid")
}

/// A gateway on these routes whose functions all answer as [`Stub::echo`].
fn echo_gateway(routes: Vec<HttpRoute>, cors: Option<CorsConfig>) -> (Arc<Stub>, Gateway) {
    let stub = Stub::echo();
    let gateway = gateway(routes, cors, &stub);
    (stub, gateway)
}

/// Sends `request` through a gateway of echoing functions and asserts
/// that `function` answered it; the response.
async fn assert_routed(
    gateway: &Gateway,
    request: Request<Bytes>,
    function: &str,
) -> Response<Bytes> {
    let response = send(gateway, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(&response)["function"], function);
    response
}

/// What a client gets for `GET /users` when the function answers
/// `payload`.
async fn answer_to_get_users(payload: Value) -> Response<Bytes> {
    let stub = Stub::answering(payload);
    send(&gateway(user_routes(), None, &stub), get("/users")).await
}

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10));

async fn send(gateway: &Gateway, request: Request<Bytes>) -> Response<Bytes> {
    gateway.handle(request, CLIENT).await
}

fn request(method: &str, uri: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "localhost:3000")
}

fn get(uri: &str) -> Request<Bytes> {
    request("GET", uri)
        .body(Bytes::new())
        .expect("a valid request")
}

fn body_json(response: &Response<Bytes>) -> Value {
    serde_json::from_slice(response.body()).expect("the response body is JSON")
}

fn header<'a>(response: &'a Response<Bytes>, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("a text header"))
}

/// Asserts each `(header, value)` of the response; a failure names the
/// header.
fn assert_headers(response: &Response<Bytes>, expected: &[(&str, &str)]) {
    for (name, value) in expected {
        assert_eq!(header(response, name), Some(*value), "{name}");
    }
}

/// Asserts that the response has none of these headers.
fn assert_no_headers(response: &Response<Bytes>, names: &[&str]) {
    for name in names {
        assert!(
            header(response, name).is_none(),
            "{name}: {:?}",
            header(response, name)
        );
    }
}

/// Every value of a header, in order.
fn header_values<'a>(response: &'a Response<Bytes>, name: &str) -> Vec<&'a str> {
    response
        .headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().expect("a text header"))
        .collect()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .expect("a JSON object")
        .keys()
        .cloned()
        .collect()
}

fn assert_gateway_error(response: &Response<Bytes>, status: u16, message: &str) {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(body_json(response), json!({ "message": message }));
    assert_eq!(header(response, "content-type"), Some("application/json"));
    assert!(header(response, "apigw-requestid").is_some());
}

/// Checks the event has the types `lambda_http` (`aws_lambda_events`'
/// `ApiGatewayV2httpRequest`) needs to deserialise it.
fn assert_lambda_http_shape(event: &Value) {
    // The functions' own runtime must read it, with its route and path.
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("lambda_http reads the event");
    assert_eq!(
        request.uri().path(),
        event["rawPath"].as_str().expect("rawPath is a string")
    );
    assert_eq!(event["version"], "2.0");
    assert!(event["routeKey"].is_string());
    assert!(event["rawPath"]
        .as_str()
        .expect("rawPath is a string")
        .starts_with('/'));
    assert!(event["rawQueryString"].is_string());
    assert!(event["isBase64Encoded"].is_boolean());
    for field in ["headers", "queryStringParameters", "pathParameters"] {
        if let Some(map) = event.get(field) {
            assert!(
                map.as_object()
                    .expect("a JSON object")
                    .values()
                    .all(Value::is_string),
                "{field} must map strings to strings: {map}"
            );
        }
    }
    if let Some(cookies) = event.get("cookies") {
        assert!(cookies
            .as_array()
            .expect("cookies is an array")
            .iter()
            .all(Value::is_string));
    }
    if let Some(body) = event.get("body") {
        assert!(body.is_string());
    }
    let context = &event["requestContext"];
    http::Method::from_bytes(
        context["http"]["method"]
            .as_str()
            .expect("the method is a string")
            .as_bytes(),
    )
    .expect("a valid method");
    for field in [
        "accountId",
        "apiId",
        "domainName",
        "domainPrefix",
        "requestId",
        "routeKey",
    ] {
        assert!(context[field].is_string(), "requestContext.{field}");
    }
    assert!(context["timeEpoch"].is_i64());
}

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

fn user_routes() -> Vec<HttpRoute> {
    routes(&[
        ("GET /users", "ListUsers"),
        ("GET /users/me", "Me"),
        ("GET /users/{id}", "GetUser"),
        ("ANY /users/{id}", "AnyUser"),
        ("GET /files/{proxy+}", "Files"),
    ])
}

#[tokio::test]
async fn params_greedy_variables_and_methods_route_as_api_gateway_does() {
    let (stub, gateway) = echo_gateway(user_routes(), None);

    // A literal segment beats `{id}`.
    assert_routed(&gateway, get("/users/me"), "Me").await;
    assert_eq!(stub.last_event()["routeKey"], "GET /users/me");
    assert!(stub.last_event().get("pathParameters").is_none());

    // The exact method beats ANY on the same path.
    assert_routed(&gateway, get("/users/42"), "GetUser").await;
    assert_eq!(stub.last_event()["pathParameters"], json!({"id": "42"}));
    assert_eq!(stub.last_event()["routeKey"], "GET /users/{id}");

    // ANY takes the other methods.
    let response = send(
        &gateway,
        request("DELETE", "/users/42").body(Bytes::new()).unwrap(),
    )
    .await;
    assert_eq!(body_json(&response)["function"], "AnyUser");
    assert_eq!(stub.last_event()["routeKey"], "ANY /users/{id}");
    assert_eq!(
        stub.last_event()["requestContext"]["http"]["method"],
        "DELETE"
    );

    // A greedy variable takes the rest of the path.
    assert_routed(&gateway, get("/files/a/b/c"), "Files").await;
    assert_eq!(
        stub.last_event()["pathParameters"],
        json!({"proxy": "a/b/c"})
    );

    // Path parameters and the path are decoded.
    send(&gateway, get("/files/my%20docs/r%C3%A9sum%C3%A9.pdf")).await;
    let event = stub.last_event();
    assert_eq!(
        event["pathParameters"],
        json!({"proxy": "my docs/résumé.pdf"})
    );
    assert_eq!(event["rawPath"], "/files/my docs/résumé.pdf");
    assert_eq!(
        event["requestContext"]["http"]["path"],
        "/files/my docs/résumé.pdf"
    );

    let invoked = stub.calls().len();
    for (method, uri) in [
        ("GET", "/files"),     // greedy needs at least one segment
        ("GET", "/files/"),    // … and a non-empty one
        ("GET", "/users/"),    // trailing slash: not `/users`, and `{id}` is never empty
        ("POST", "/users"),    // no POST route and no ANY on `/users`
        ("HEAD", "/users"),    // HEAD is not GET
        ("GET", "/Users"),     // case-sensitive
        ("GET", "/users/1/2"), // `{id}` is one segment
        ("GET", "/"),
    ] {
        let response = send(&gateway, request(method, uri).body(Bytes::new()).unwrap()).await;
        assert_gateway_error(&response, 404, "Not Found");
        assert_eq!(response.body().as_ref(), br#"{"message":"Not Found"}"#);
    }
    assert_eq!(
        stub.calls().len(),
        invoked,
        "unmatched requests invoke nothing"
    );
}

#[tokio::test]
async fn the_documented_priority_example_routes_the_same_way() {
    // The example of "Routing API requests" in the HTTP API developer guide.
    let stub = Stub::echo();
    let gateway = gateway(
        routes(&[
            ("GET /pets/dog/1", "Route1"),
            ("GET /pets/dog/{id}", "Route2"),
            ("GET /pets/{proxy+}", "Route3"),
            ("ANY /{proxy+}", "Route4"),
            ("ANY $default", "Route5"),
        ]),
        None,
        &stub,
    );
    for (method, uri, function, route_key) in [
        ("GET", "/pets/dog/1", "Route1", "GET /pets/dog/1"),
        ("GET", "/pets/dog/2", "Route2", "GET /pets/dog/{id}"),
        ("GET", "/pets/cat/1", "Route3", "GET /pets/{proxy+}"),
        ("POST", "/pets/cat/1", "Route4", "ANY /{proxy+}"),
        ("GET", "/", "Route5", "$default"),
    ] {
        let response = send(&gateway, request(method, uri).body(Bytes::new()).unwrap()).await;
        let body = body_json(&response);
        assert_eq!(body["function"], function, "{method} {uri}");
        assert_eq!(body["routeKey"], route_key, "{method} {uri}");
    }
}

#[tokio::test]
async fn default_route_catches_what_no_route_matches() {
    let stub = Stub::echo();
    let mut all = user_routes();
    all.extend(routes(&[("ANY $default", "Fallback")]));
    let gateway = gateway(all, None, &stub);

    assert_routed(&gateway, get("/nothing/here?x=1"), "Fallback").await;
    let event = stub.last_event();
    assert_eq!(event["routeKey"], "$default");
    assert_eq!(event["requestContext"]["routeKey"], "$default");
    assert_eq!(event["rawPath"], "/nothing/here");
    assert!(event.get("pathParameters").is_none());

    assert_routed(&gateway, get("/users"), "ListUsers").await;
}

#[tokio::test]
async fn invalid_routes_are_refused() {
    let stub = Stub::echo();
    for (method, path) in [
        ("GET", "/files/{proxy+}/more"),
        ("GET", "users"),
        ("G ET", "/users"),
    ] {
        let route = HttpRoute {
            method: method.into(),
            path: path.into(),
            function: "F".into(),
        };
        let invoker = Arc::clone(&stub) as Arc<dyn Invoke>;
        assert!(
            Gateway::new(vec![route], None, invoker).is_err(),
            "{method} {path}"
        );
    }
    let twice = routes(&[("GET /a", "F"), ("GET /a", "G")]);
    assert!(Gateway::new(twice, None, stub as Arc<dyn Invoke>).is_err());
}

// ---------------------------------------------------------------------------
// The event, against the recorded events
// ---------------------------------------------------------------------------

/// The recorded API Gateway (payload 2.0) events of `events/`.
fn recorded_events() -> Vec<(PathBuf, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let mut events = Vec::new();
    for dir in std::fs::read_dir(&root).expect("the events directory is readable") {
        let dir = dir.expect("a directory entry").path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).expect("an events subdirectory is readable") {
            let file = file.expect("a directory entry").path();
            if file.extension().is_some_and(|e| e == "json") {
                let event: Value = serde_json::from_str(
                    &std::fs::read_to_string(&file).expect("a readable event file"),
                )
                .expect("the event file is JSON");
                // Only API Gateway events; stream and queue events live
                // beside them.
                if event.get("routeKey").is_some() {
                    events.push((file, event));
                }
            }
        }
    }
    events.sort_by(|a, b| a.0.cmp(&b.0));
    events
}

/// The request the recorded event describes, without the headers API
/// Gateway adds itself.
fn request_for(recorded: &Value) -> Request<Bytes> {
    let mut uri = recorded["rawPath"]
        .as_str()
        .expect("rawPath is a string")
        .to_owned();
    let query = recorded["rawQueryString"]
        .as_str()
        .expect("rawQueryString is a string");
    if !query.is_empty() {
        uri = format!("{uri}?{query}");
    }
    let mut builder = Request::builder()
        .method(
            recorded["requestContext"]["http"]["method"]
                .as_str()
                .expect("the method is a string"),
        )
        .uri(uri);
    for (name, value) in recorded["headers"]
        .as_object()
        .expect("headers is an object")
    {
        if !name.starts_with("x-forwarded-") {
            builder = builder.header(name, value.as_str().expect("header values are strings"));
        }
    }
    if let Some(cookies) = recorded.get("cookies") {
        let joined: Vec<&str> = cookies
            .as_array()
            .expect("cookies is an array")
            .iter()
            .map(|c| c.as_str().expect("cookies are strings"))
            .collect();
        builder = builder.header("cookie", joined.join("; "));
    }
    let body = match recorded.get("body").and_then(Value::as_str) {
        None => Bytes::new(),
        Some(body) if recorded["isBase64Encoded"] == true => {
            Bytes::from(BASE64.decode(body).expect("the body is base64"))
        }
        Some(body) => Bytes::from(body.to_owned()),
    };
    builder.body(body).expect("a valid request")
}

#[tokio::test]
async fn events_match_the_recorded_api_gateway_events() {
    let recorded = recorded_events();
    let names: BTreeSet<String> = recorded
        .iter()
        .map(|(path, _)| {
            let dir = path
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy();
            format!("{dir}/{}", path.file_name().unwrap().to_string_lossy())
        })
        .collect();
    assert!(
        names.contains("users/get.json") && names.contains("users/list.json"),
        "{names:?}"
    );

    // One route per recorded route key, all competing with each other.
    let route_keys: BTreeSet<String> = recorded
        .iter()
        .map(|(_, e)| e["routeKey"].as_str().unwrap().to_owned())
        .collect();
    let all_routes: Vec<HttpRoute> = route_keys
        .iter()
        .map(|key| {
            // `$default` is the catch-all: any method, any path.
            let (method, path) = key.split_once(' ').unwrap_or(("ANY", key));
            HttpRoute {
                method: method.into(),
                path: path.into(),
                function: format!("Fn {key}"),
            }
        })
        .collect();
    let (stub, gateway) = echo_gateway(all_routes, None);

    for (file, expected) in &recorded {
        let file = file.display();
        let source_ip: IpAddr = expected["requestContext"]["http"]["sourceIp"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let before = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let response = gateway.handle(request_for(expected), source_ip).await;
        let after = time::OffsetDateTime::now_utc().unix_timestamp() * 1000 + 1000;
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        let (function, event) = stub.calls().last().unwrap().clone();
        assert_eq!(
            function,
            format!("Fn {}", expected["routeKey"].as_str().unwrap()),
            "{file}"
        );

        assert_lambda_http_shape(&event);
        assert_eq!(keys(&event), keys(expected), "{file}: top-level fields");
        for field in [
            "version",
            "routeKey",
            "rawPath",
            "rawQueryString",
            "pathParameters",
            "queryStringParameters",
            "cookies",
            "body",
            "isBase64Encoded",
        ] {
            assert_eq!(event.get(field), expected.get(field), "{file}: {field}");
        }

        // Headers: the client's come through as sent; x-forwarded-for is the
        // client address; the scheme and port are the local ones.
        let headers = event["headers"].as_object().unwrap();
        assert_eq!(
            keys(&event["headers"]),
            keys(&expected["headers"]),
            "{file}: header names"
        );
        for (name, value) in expected["headers"].as_object().unwrap() {
            match name.as_str() {
                "x-forwarded-proto" => assert_eq!(headers[name], "http"),
                "x-forwarded-port" => assert_eq!(headers[name], "80"),
                _ => assert_eq!(&headers[name], value, "{file}: header {name}"),
            }
        }

        let context = &event["requestContext"];
        let recorded_context = &expected["requestContext"];
        assert_eq!(
            keys(context),
            keys(recorded_context),
            "{file}: requestContext fields"
        );
        assert_eq!(
            keys(&context["http"]),
            keys(&recorded_context["http"]),
            "{file}"
        );
        for field in [
            "accountId",
            "domainName",
            "domainPrefix",
            "routeKey",
            "stage",
            "http",
        ] {
            assert_eq!(
                context[field], recorded_context[field],
                "{file}: requestContext.{field}"
            );
        }
        assert_eq!(context["apiId"], "local");
        let time = context["time"].as_str().unwrap();
        assert_eq!(
            time.len(),
            recorded_context["time"].as_str().unwrap().len(),
            "{time}"
        );
        assert!(
            time.ends_with(" +0000") && time.as_bytes()[2] == b'/',
            "{time}"
        );
        let epoch = context["timeEpoch"].as_i64().unwrap();
        assert!(
            (before..=after).contains(&epoch),
            "{epoch} not in {before}..={after}"
        );
        assert_eq!(
            context["requestId"].as_str(),
            header(&response, "apigw-requestid"),
            "{file}: the request id is returned to the client"
        );
    }
}

#[tokio::test]
async fn request_ids_are_unique_and_trace_ids_added() {
    let (stub, gateway) = echo_gateway(user_routes(), None);
    send(&gateway, get("/users")).await;
    send(&gateway, get("/users")).await;
    let calls = stub.calls();
    let (first, second) = (&calls[0].1, &calls[1].1);
    assert_ne!(
        first["requestContext"]["requestId"],
        second["requestContext"]["requestId"]
    );
    let trace = first["headers"]["x-amzn-trace-id"].as_str().unwrap();
    assert!(trace.starts_with("Root=1-") && trace.len() == 40, "{trace}");
    assert_eq!(first["requestContext"]["domainName"], "localhost:3000");
    assert_eq!(first["requestContext"]["domainPrefix"], "localhost");
    assert_eq!(first["headers"]["x-forwarded-port"], "3000");
    assert_eq!(first["requestContext"]["http"]["userAgent"], "");
}

#[tokio::test]
async fn query_strings_keep_the_raw_form_and_join_repeated_keys() {
    let (stub, gateway) = echo_gateway(user_routes(), None);

    send(&gateway, get("/users?a=1&a=2&b=x%20y")).await;
    let event = stub.last_event();
    assert_eq!(event["rawQueryString"], "a=1&a=2&b=x%20y");
    assert_eq!(
        event["queryStringParameters"],
        json!({"a": "1,2", "b": "x y"})
    );

    send(&gateway, get("/users")).await;
    let event = stub.last_event();
    assert_eq!(event["rawQueryString"], "");
    assert!(event.get("queryStringParameters").is_none());
}

#[tokio::test]
async fn cookies_move_out_of_the_headers_and_repeated_headers_join() {
    let (stub, gateway) = echo_gateway(user_routes(), None);
    let request = request("GET", "/users")
        .header("cookie", "a=1; b=2")
        .header("X-Custom", "one")
        .header("x-custom", "two")
        .header("x-forwarded-for", "198.51.100.7")
        .header("x-forwarded-proto", "https")
        .header("user-agent", "tests/1.0")
        .body(Bytes::new())
        .unwrap();
    send(&gateway, request).await;
    let event = stub.last_event();
    assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
    assert!(event["headers"].get("cookie").is_none());
    assert_eq!(event["headers"]["x-custom"], "one,two");
    assert_eq!(
        event["headers"]["x-forwarded-for"],
        "198.51.100.7, 203.0.113.10"
    );
    assert_eq!(event["headers"]["x-forwarded-proto"], "http");
    assert_eq!(event["requestContext"]["http"]["sourceIp"], "203.0.113.10");
    assert_eq!(event["requestContext"]["http"]["userAgent"], "tests/1.0");

    send(&gateway, get("/users")).await;
    assert!(stub.last_event().get("cookies").is_none());
}

#[tokio::test]
async fn bodies_are_text_or_base64_by_content_type() {
    let (stub, gateway) = echo_gateway(routes(&[("ANY /upload", "Upload")]), None);
    let post = |content_type: Option<&str>, body: &[u8]| {
        let mut builder = request("POST", "/upload");
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        builder.body(Bytes::copy_from_slice(body)).unwrap()
    };
    let binary: &[u8] = &[0x89, b'P', b'N', b'G', 0x00, 0xff, 0xfe];

    for (content_type, body, base64) in [
        (Some("application/json"), br#"{"a":1}"#.as_slice(), false),
        (
            Some("application/problem+json; charset=utf-8"),
            b"{}".as_slice(),
            false,
        ),
        (Some("text/csv"), b"a,b\n1,2".as_slice(), false),
        (
            Some("application/x-www-form-urlencoded"),
            b"a=1&b=%20".as_slice(),
            false,
        ),
        (Some("application/xml"), b"<a/>".as_slice(), false),
        (None, "plain ✓".as_bytes(), false),
        (Some("application/octet-stream"), b"abc".as_slice(), true),
        (Some("image/png"), binary, true),
        (None, binary, true),
        (Some("text/plain"), binary, true), // not UTF-8: cannot travel as text
    ] {
        send(&gateway, post(content_type, body)).await;
        let event = stub.last_event();
        assert_eq!(event["isBase64Encoded"], base64, "{content_type:?}");
        let sent = event["body"].as_str().unwrap();
        if base64 {
            assert_eq!(BASE64.decode(sent).unwrap(), body, "{content_type:?}");
        } else {
            assert_eq!(sent.as_bytes(), body, "{content_type:?}");
        }
    }

    send(
        &gateway,
        request("POST", "/upload").body(Bytes::new()).unwrap(),
    )
    .await;
    let event = stub.last_event();
    assert!(event.get("body").is_none());
    assert_eq!(event["isBase64Encoded"], false);
}

// ---------------------------------------------------------------------------
// Function responses
// ---------------------------------------------------------------------------

#[tokio::test]
async fn payload_2_0_responses_map_status_headers_cookies_and_body() {
    let response = answer_to_get_users(json!({
        "statusCode": 201,
        "headers": {"content-type": "application/json", "x-request-id": "r-1", "content-length": "9999"},
        "multiValueHeaders": {"x-multi": ["a", "b"]},
        "cookies": ["session=abc; HttpOnly; Secure", "theme=dark"],
        "body": "{\"id\":\"42\"}",
        "isBase64Encoded": false,
    }))
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_headers(
        &response,
        &[
            ("content-type", "application/json"),
            ("x-request-id", "r-1"),
        ],
    );
    assert!(
        header(&response, "content-length").is_none(),
        "the server computes it"
    );
    assert_eq!(header_values(&response, "x-multi"), ["a", "b"]);
    assert_eq!(
        header_values(&response, "set-cookie"),
        ["session=abc; HttpOnly; Secure", "theme=dark"]
    );
    assert_eq!(body_json(&response), json!({"id": "42"}));
    assert!(header(&response, "apigw-requestid").is_some());
}

#[tokio::test]
async fn base64_responses_are_decoded() {
    let image: Vec<u8> = (0..=255).collect();
    let response = answer_to_get_users(json!({
        "statusCode": 200,
        "headers": {"content-type": "image/png"},
        "body": BASE64.encode(&image),
        "isBase64Encoded": true,
    }))
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), Some("image/png"));
    assert_eq!(response.body().as_ref(), image.as_slice());
}

#[tokio::test]
async fn responses_without_status_code_are_inferred_as_json() {
    let response = answer_to_get_users(json!({"message": "Hello from Lambda!"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(
        body_json(&response),
        json!({"message": "Hello from Lambda!"})
    );

    let response = answer_to_get_users(json!("Hello from Lambda!")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().as_ref(), b"Hello from Lambda!");
}

#[tokio::test]
async fn a_body_without_content_type_is_plain_text() {
    let response = answer_to_get_users(json!({"statusCode": 200, "body": "ok"})).await;
    assert_eq!(
        header(&response, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(response.body().as_ref(), b"ok");

    let response = answer_to_get_users(json!({"statusCode": 204})).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.body().is_empty());
    assert!(header(&response, "content-type").is_none());
}

// ---------------------------------------------------------------------------
// Errors and limits
// ---------------------------------------------------------------------------

#[tokio::test]
async fn function_failures_are_500s() {
    let outcomes = [
        InvokeOutcome::FunctionError {
            error_type: "Runtime.ExitError".into(),
            error_message: "exit status 101".into(),
        },
        InvokeOutcome::Timeout,
        InvokeOutcome::NoSuchFunction,
        InvokeOutcome::Success(b"not json".to_vec()),
        InvokeOutcome::Success(br#"{"statusCode":"abc"}"#.to_vec()),
        InvokeOutcome::Success(br#"{"statusCode":200,"body":{"not":"a string"}}"#.to_vec()),
        InvokeOutcome::Success(
            br#"{"statusCode":200,"isBase64Encoded":true,"body":"%%%"}"#.to_vec(),
        ),
        InvokeOutcome::Success(br#"{"statusCode":200,"headers":{"bad header":"x"}}"#.to_vec()),
    ];
    for outcome in outcomes {
        let description = format!("{outcome:?}");
        let stub = Stub::new(move |_, _| outcome.clone());
        let gateway = gateway(user_routes(), None, &stub);
        let response = send(&gateway, get("/users")).await;
        assert_gateway_error(&response, 500, "Internal Server Error");
        assert_eq!(stub.calls().len(), 1, "{description}");
    }
}

#[tokio::test]
async fn the_integration_timeout_is_a_503() {
    let stub = Arc::new(Stub {
        calls: Mutex::new(Vec::new()),
        respond: Box::new(|_, _| json_response(200, &json!({}))),
        delay: Duration::from_secs(30),
    });
    let gateway =
        gateway(user_routes(), None, &stub).with_integration_timeout(Duration::from_millis(200));
    let started = Instant::now();
    let response = send(&gateway, get("/users")).await;
    assert_gateway_error(&response, 503, "Service Unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stub.calls().len(), 1);
}

#[tokio::test]
async fn bodies_over_10_mb_are_refused_with_413() {
    let (stub, gateway) = echo_gateway(routes(&[("POST /upload", "Upload")]), None);
    let post = |size: usize| {
        request("POST", "/upload")
            .header("content-type", "text/plain")
            .body(Bytes::from(vec![b'a'; size]))
            .unwrap()
    };

    let response = send(&gateway, post(MAX_REQUEST_BODY_BYTES + 1)).await;
    assert_gateway_error(&response, 413, "Request Entity Too Large");
    assert!(stub.calls().is_empty());

    let response = send(&gateway, post(MAX_REQUEST_BODY_BYTES)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        stub.last_event()["body"].as_str().unwrap().len(),
        MAX_REQUEST_BODY_BYTES
    );
}

// ---------------------------------------------------------------------------
// CORS
// ---------------------------------------------------------------------------

fn cors() -> CorsConfig {
    CorsConfig {
        allow_origins: vec!["https://app.example.com".into()],
        allow_headers: vec!["authorization".into(), "content-type".into()],
        allow_methods: vec!["GET".into(), "POST".into(), "DELETE".into()],
        expose_headers: vec!["x-request-id".into(), "etag".into()],
        max_age: Some(600),
        allow_credentials: false,
    }
}

fn preflight(origin: &str) -> Request<Bytes> {
    request("OPTIONS", "/users/42")
        .header("origin", origin)
        .header("access-control-request-method", "DELETE")
        .header("access-control-request-headers", "authorization,x-custom")
        .body(Bytes::new())
        .expect("a valid request")
}

/// Asserts that the response carries no CORS header.
fn assert_no_cors(response: &Response<Bytes>) {
    let found = cors_headers(response);
    assert!(found.is_empty(), "{found:?}");
}

fn cors_headers(response: &Response<Bytes>) -> Vec<String> {
    response
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

#[tokio::test]
async fn preflights_are_answered_by_the_gateway() {
    let (stub, gateway) = echo_gateway(user_routes(), Some(cors()));

    let response = send(&gateway, preflight("https://app.example.com")).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.body().is_empty());
    assert_headers(
        &response,
        &[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-methods", "GET,POST,DELETE"),
            ("access-control-allow-headers", "authorization,content-type"),
            ("access-control-max-age", "600"),
        ],
    );
    assert_no_headers(&response, &["access-control-allow-credentials"]);
    assert!(header(&response, "apigw-requestid").is_some());
    assert!(
        stub.calls().is_empty(),
        "a preflight invokes no function, even with an ANY route"
    );

    // A path with no route at all is preflighted too.
    let mut unrouted = preflight("https://app.example.com");
    *unrouted.uri_mut() = "/no/such/route".parse().unwrap();
    assert_eq!(
        send(&gateway, unrouted).await.status(),
        StatusCode::NO_CONTENT
    );

    // An origin that is not allowed: 204 without any CORS header.
    let response = send(&gateway, preflight("https://evil.example.com")).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_no_cors(&response);
    assert!(stub.calls().is_empty());

    // OPTIONS without Access-Control-Request-Method is not a preflight.
    let request = request("OPTIONS", "/users/42")
        .header("origin", "https://app.example.com")
        .body(Bytes::new())
        .unwrap();
    assert_routed(&gateway, request, "AnyUser").await;
}

#[tokio::test]
async fn wildcards_in_the_cors_configuration() {
    let stub = Stub::echo();
    let open = CorsConfig {
        allow_origins: vec!["*".into()],
        allow_headers: vec!["*".into()],
        allow_methods: vec!["*".into()],
        ..cors()
    };
    let gateway = gateway(user_routes(), Some(open.clone()), &stub);
    let response = send(&gateway, preflight("https://anyone.example")).await;
    assert_headers(
        &response,
        &[
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "DELETE"),
            ("access-control-allow-headers", "authorization,x-custom"),
        ],
    );

    // With credentials the origin is echoed, never `*`.
    let credentialed = CorsConfig {
        allow_credentials: true,
        allow_origins: vec!["https://*.example.com".into()],
        ..open
    };
    let gateway = self::gateway(user_routes(), Some(credentialed), &stub);
    let response = send(&gateway, preflight("https://app.example.com")).await;
    assert_headers(
        &response,
        &[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-credentials", "true"),
        ],
    );
    let response = send(&gateway, preflight("https://example.org")).await;
    assert_no_cors(&response);
}

#[tokio::test]
async fn cors_headers_on_responses_replace_the_functions_own() {
    let stub = Stub::answering(json!({
        "statusCode": 200,
        "headers": {
            "content-type": "application/json",
            "access-control-allow-origin": "https://somewhere.else",
            "access-control-allow-credentials": "true",
            "vary": "accept-encoding",
        },
        "body": "{}",
    }));
    let gateway = gateway(user_routes(), Some(cors()), &stub);
    let with_origin = |origin: &str| {
        request("GET", "/users")
            .header("origin", origin)
            .body(Bytes::new())
            .unwrap()
    };

    let response = send(&gateway, with_origin("https://app.example.com")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_headers(
        &response,
        &[
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-expose-headers", "x-request-id,etag"),
        ],
    );
    assert_no_headers(&response, &["access-control-allow-credentials"]);
    assert_eq!(
        header_values(&response, "vary"),
        ["accept-encoding", "origin"]
    );

    let response = send(&gateway, with_origin("https://evil.example.com")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_no_cors(&response);

    let response = send(&gateway, get("/users")).await;
    assert_no_cors(&response);

    // The gateway's own answers carry them too.
    let mut missing = with_origin("https://app.example.com");
    *missing.uri_mut() = "/missing".parse().unwrap();
    let response = send(&gateway, missing).await;
    assert_gateway_error(&response, 404, "Not Found");
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("https://app.example.com")
    );
}

#[tokio::test]
async fn without_cors_options_is_routed_like_any_method() {
    let (stub, gateway) = echo_gateway(user_routes(), None);
    let response = assert_routed(&gateway, preflight("https://app.example.com"), "AnyUser").await;
    assert_eq!(
        stub.last_event()["requestContext"]["http"]["method"],
        "OPTIONS"
    );
    assert_no_cors(&response);
}

// ---------------------------------------------------------------------------
// Through a socket
// ---------------------------------------------------------------------------

#[tokio::test]
async fn serves_over_a_real_socket_and_shuts_down() {
    let stub = Stub::echo();
    let gateway = Arc::new(gateway(user_routes(), Some(cors()), &stub));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(Arc::clone(&gateway).serve_on(listener, async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");

    let response = client
        .get(format!("{base}/users/42?expand=roles&expand=teams"))
        .header("origin", "https://app.example.com")
        .header("cookie", "a=1; b=2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let request_id = response.headers()["apigw-requestid"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"function": "GetUser", "routeKey": "GET /users/{id}"})
    );

    let event = stub.last_event();
    assert_lambda_http_shape(&event);
    assert_eq!(event["requestContext"]["requestId"], request_id.as_str());
    assert_eq!(event["requestContext"]["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(
        event["requestContext"]["domainName"],
        format!("127.0.0.1:{port}")
    );
    assert_eq!(event["headers"]["x-forwarded-port"], port.to_string());
    assert_eq!(event["headers"]["x-forwarded-for"], "127.0.0.1");
    assert_eq!(
        event["queryStringParameters"],
        json!({"expand": "roles,teams"})
    );
    assert_eq!(event["cookies"], json!(["a=1", "b=2"]));

    let response = client
        .post(format!("{base}/users/42"))
        .json(&json!({"name": "Ada"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let event = stub.last_event();
    assert_eq!(event["routeKey"], "ANY /users/{id}");
    assert_eq!(event["body"], r#"{"name":"Ada"}"#);
    assert_eq!(event["headers"]["content-type"], "application/json");

    let response = client.get(format!("{base}/nope")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(response.text().await.unwrap(), r#"{"message":"Not Found"}"#);

    let response = client
        .post(format!("{base}/users/42"))
        .header("content-type", "text/plain")
        .body(vec![b'a'; MAX_REQUEST_BODY_BYTES + 1])
        .send()
        .await;
    if let Ok(response) = response {
        // The server may close the connection before the client has sent the
        // whole body; when the answer arrives it is API Gateway's 413.
        assert_eq!(response.status().as_u16(), 413);
    }

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server did not stop")
        .unwrap()
        .unwrap();
    assert!(client.get(format!("{base}/users")).send().await.is_err());
}
