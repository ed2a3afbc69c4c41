//! Bad input on every route is refused with a problem naming the field,
//! and nothing is written. Property tests: no string in a time parameter,
//! a cursor, a path id or a header makes a handler panic or answer 5xx.

use crate::helpers::{item_type, Call, Reply, TestEnv, PASSWORD};
use opsflow_platform::domain::Role;
use serde_json::json;

/// The items of the table but the counters throttling keeps (a wrong
/// `current_password` is refused with 422 and still counts as an attempt).
async fn entity_items(env: &TestEnv) -> usize {
    env.all_items()
        .await
        .iter()
        .filter(|item| !matches!(item_type(item), Some("rate_counter" | "backoff_gate")))
        .count()
}

async fn assert_nothing_written(env: &TestEnv, before: usize) {
    assert_eq!(entity_items(env).await, before, "the table changed");
}

#[tokio::test]
async fn register_refuses_each_kind_of_bad_input() {
    let env = crate::env().await;
    let before = entity_items(&env).await;
    let long = "x".repeat(101);
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "malformed JSON",
            r#"{"email": "a@example.com", "#.into(),
            400,
            "body",
        ),
        ("not an object", "[1, 2]".into(), 400, "body"),
        (
            "unknown field",
            json!({"email": "a@example.com", "password": PASSWORD, "name": "A", "role": "admin"})
                .to_string(),
            400,
            "role",
        ),
        (
            "wrong type",
            json!({"email": 42, "password": PASSWORD, "name": "A"}).to_string(),
            400,
            "email",
        ),
        (
            "missing field",
            json!({"email": "a@example.com", "password": PASSWORD}).to_string(),
            422,
            "name",
        ),
        (
            "empty name",
            json!({"email": "a@example.com", "password": PASSWORD, "name": "  "}).to_string(),
            422,
            "name",
        ),
        (
            "oversized name",
            json!({"email": "a@example.com", "password": PASSWORD, "name": long}).to_string(),
            422,
            "name",
        ),
        (
            "bad email",
            json!({"email": "not-an-email", "password": PASSWORD, "name": "A"}).to_string(),
            422,
            "email",
        ),
        (
            "short password",
            json!({"email": "a@example.com", "password": "short", "name": "A"}).to_string(),
            422,
            "password",
        ),
        (
            "oversized password",
            json!({"email": "a@example.com", "password": "p".repeat(129), "name": "A"}).to_string(),
            422,
            "password",
        ),
        ("empty body", String::new(), 400, "body"),
    ];
    for (case, body, status, field) in cases {
        let reply = env.call(Call::new("auth/register").raw_body(&body)).await;
        assert_eq!(reply.status, status, "{case}: {}", reply.body);
        reply.assert_problem(status, field);
    }
    assert_nothing_written(&env, before).await;
}

#[tokio::test]
async fn every_bad_field_is_reported_at_once() {
    let env = crate::env().await;
    let reply = env
        .call(
            Call::new("auth/register").body(json!({"email": "nope", "password": "x", "name": ""})),
        )
        .await;
    for field in ["email", "password", "name"] {
        reply.assert_problem(422, field);
    }
}

#[tokio::test]
async fn non_json_bodies_and_huge_bodies_are_refused() {
    let env = crate::env().await;
    let text = env
        .call(
            Call::new("auth/login")
                .raw_body("email=a@example.com")
                .header("content-type", "application/x-www-form-urlencoded"),
        )
        .await;
    assert_eq!(text.status, 415);
    let huge = env
        .call(
            Call::new("auth/register").raw_body(&format!(r#"{{"name":"{}"}}"#, "x".repeat(20_000))),
        )
        .await;
    assert_eq!(huge.status, 413);
}

#[tokio::test]
async fn login_and_refresh_refuse_bad_input() {
    let env = crate::env().await;
    let before = entity_items(&env).await;
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("login", r#"{"email": "#.into(), 400, "body"),
        (
            "login",
            json!({"email": "a@example.com", "password": PASSWORD, "remember": true}).to_string(),
            400,
            "remember",
        ),
        (
            "login",
            json!({"email": "a@example.com", "password": 1}).to_string(),
            400,
            "password",
        ),
        (
            "login",
            json!({"email": "nope", "password": PASSWORD}).to_string(),
            422,
            "email",
        ),
        (
            "login",
            json!({"email": "a@example.com", "password": ""}).to_string(),
            422,
            "password",
        ),
        (
            "login",
            json!({"email": "a@example.com"}).to_string(),
            422,
            "password",
        ),
        ("refresh", r#"{"refresh_token": "#.into(), 400, "body"),
        (
            "refresh",
            json!({"refresh_token": 5}).to_string(),
            400,
            "refresh_token",
        ),
        ("refresh", json!({}).to_string(), 422, "refresh_token"),
        (
            "refresh",
            json!({"refresh_token": "x", "extra": 1}).to_string(),
            400,
            "extra",
        ),
    ];
    for (route, body, status, field) in cases {
        let reply: Reply = env
            .call(Call::new(&format!("auth/{route}")).raw_body(&body))
            .await;
        reply.assert_problem(status, field);
    }
    assert_nothing_written(&env, before).await;
}

#[tokio::test]
async fn user_routes_refuse_bad_input_and_write_nothing() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let target = env.account("target", Role::User).await;
    let before = entity_items(&env).await;
    let as_admin = |call: Call| call.by(&admin);
    let as_target = |call: Call| call.by(&target);
    let patch = |body| as_target(Call::new("users/patch").id(&target.id).body(body));

    let cases: Vec<(&str, Call, u16, &str)> = vec![
        (
            "bad role filter",
            as_admin(Call::new("users/list").query(&[("role", "root")])),
            422,
            "role",
        ),
        (
            "limit not a number",
            as_admin(Call::new("users/list").query(&[("limit", "ten")])),
            400,
            "limit",
        ),
        (
            "limit too large",
            as_admin(Call::new("users/list").query(&[("limit", "101")])),
            422,
            "limit",
        ),
        (
            "limit repeated",
            as_admin(Call::new("users/list").query(&[("limit", "1"), ("limit", "2")])),
            400,
            "limit",
        ),
        (
            "unknown parameter",
            as_admin(Call::new("users/list").query(&[("rol", "admin")])),
            400,
            "rol",
        ),
        (
            "forged cursor",
            as_admin(Call::new("users/list").query(&[("cursor", "eyJwayI6IlVTRVIjMSJ9.AAAA")])),
            400,
            "cursor",
        ),
        (
            "patch malformed",
            as_target(Call::new("users/patch").id(&target.id).raw_body("{")),
            400,
            "body",
        ),
        (
            "patch unknown field",
            patch(json!({"email": "x@example.com"})),
            400,
            "email",
        ),
        ("patch wrong type", patch(json!({"name": 7})), 400, "name"),
        ("patch empty name", patch(json!({"name": ""})), 422, "name"),
        (
            "patch oversized name",
            patch(json!({"name": "n".repeat(101)})),
            422,
            "name",
        ),
        ("patch nothing", patch(json!({})), 422, "body"),
        (
            "password without current",
            patch(json!({"password": "a new password"})),
            422,
            "current_password",
        ),
        (
            "password with wrong current",
            patch(json!({"password": "a new password", "current_password": "wrong"})),
            422,
            "current_password",
        ),
        (
            "bad role",
            as_admin(
                Call::new("users/patch")
                    .id(&target.id)
                    .body(json!({"role": "superuser"})),
            ),
            422,
            "role",
        ),
        (
            "role of wrong type",
            as_admin(
                Call::new("users/patch")
                    .id(&target.id)
                    .body(json!({"role": ["admin"]})),
            ),
            400,
            "role",
        ),
        (
            "admin demotes self",
            as_admin(
                Call::new("users/patch")
                    .id(&admin.id)
                    .body(json!({"role": "user"})),
            ),
            422,
            "role",
        ),
        (
            "bad If-Match",
            as_target(
                Call::new("users/patch")
                    .id(&target.id)
                    .header("if-match", "abc")
                    .body(json!({"name": "Ok"})),
            ),
            400,
            "If-Match",
        ),
    ];
    for (case, call, status, field) in cases {
        let reply = env.call(call).await;
        assert_eq!(reply.status, status, "{case}: {}", reply.body);
        reply.assert_problem(status, field);
    }
    // Malformed ids are simply not found.
    let reply = env
        .call(as_admin(Call::new("users/get").id("not-a-uuid")))
        .await;
    assert_eq!(reply.status, 404);
    assert_nothing_written(&env, before).await;
}

#[tokio::test]
async fn text_the_event_pipeline_cannot_carry_is_refused_naming_the_field() {
    let env = crate::env().await;
    let before = entity_items(&env).await;
    // Written as JSON escapes and as raw UTF-8: U+FFFF, U+FFFE and a
    // control character, which no queue message may hold.
    let cases: [(&str, &str); 4] = [
        (r#"{"email":"m@example.com","password":"a long passphrase","name":"Mallory \uffff"}"#, "name"),
        ("{\"email\":\"m@example.com\",\"password\":\"a long passphrase\",\"name\":\"Mallory \u{FFFE}\"}", "name"),
        (r#"{"email":"m@example.com","password":"a long passphrase","name":"Bell \u0007"}"#, "name"),
        (r#"{"email":"m\uffff@example.com","password":"a long passphrase","name":"M"}"#, "email"),
    ];
    for (body, field) in cases {
        let reply = env.call(Call::new("auth/register").raw_body(body)).await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        reply.assert_problem(422, field);
    }
    assert_nothing_written(&env, before).await;

    // Keys and values deep inside a payload are named by their path.
    let admin = env.account("Admin", Role::Admin).await;
    let workflow = env.active_workflow(&admin, "Purchase").await;
    let user = env.account("User", Role::User).await;
    let before = entity_items(&env).await;
    let body = format!(
        r#"{{"workflow_id":"{workflow}","title":"Laptop","payload":{{"lines":[{{"sku":"A-1"}},{{"note":"\ufffe"}}],"k\uffffey":1}}}}"#
    );
    let reply = env
        .call(Call::new("approvals/create").by(&user).raw_body(&body))
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    let fields = reply.error_fields();
    assert!(
        fields == ["payload.lines[1].note"] || fields == ["payload.k\\uffffey"],
        "{fields:?}"
    );
    assert_nothing_written(&env, before).await;

    // Tabs and line breaks are ordinary text.
    let body = format!(
        r#"{{"workflow_id":"{workflow}","title":"Laptop","description":"line one\nline\ttwo","payload":{{"note":"a\r\nb"}}}}"#
    );
    let reply = env
        .call(Call::new("approvals/create").by(&user).raw_body(&body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

/// The property tests: requests built from the recorded events in
/// `events/`, one part replaced by an arbitrary string, sent to the real
/// handlers against DynamoDB Local. Every answer must be below 500, and a
/// panic fails the case (proptest then shrinks it to a small input).
mod never_5xx {
    use crate::helpers::{fixture, Account, TestEnv};
    use opsflow_platform::domain::Role;
    use proptest::prelude::*;
    use proptest::test_runner::{Config as Cases, TestRunner};
    use serde_json::{json, Value};
    use std::panic::AssertUnwindSafe;

    /// Cases per property: enough to meet the odd inputs, few enough to
    /// keep the suite fast.
    const CASES: u32 = 64;

    /// Text of every kind: anything at all, printable ASCII, and
    /// well-formed RFC 3339 times of any year and offset (which reach the
    /// range checks rather than the parser's refusal).
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[ -~]{0,48}",
            rfc3339(),
            "[A-Za-z0-9_-]{0,120}",
        ]
    }

    /// RFC 3339 times of any year, and often on the first or last days
    /// the format can write, where an offset moves the time out of range.
    fn rfc3339() -> impl Strategy<Value = String> {
        let any_day = (0..10_000u32, 1..=12u32, 1..=31u32)
            .prop_map(|(year, month, day)| format!("{year:04}-{month:02}-{day:02}"));
        let edge_day = prop_oneof![
            Just("9999-12-31".to_owned()),
            Just("0000-01-01".to_owned()),
            Just("0001-01-01".to_owned()),
            Just("0000-12-31".to_owned()),
        ];
        let offset = prop_oneof![
            Just("Z".to_owned()),
            ("[+-]", 0..24u32, 0..60u32).prop_map(|(sign, h, m)| format!("{sign}{h:02}:{m:02}")),
        ];
        (
            prop_oneof![any_day, edge_day],
            (0..24u32, 0..60u32, 0..61u32),
            "(\\.[0-9]{1,9})?",
            offset,
        )
            .prop_map(|(day, (h, m, s), fraction, offset)| {
                format!("{day}T{h:02}:{m:02}:{s:02}{fraction}{offset}")
            })
    }

    /// A query string component as a browser would send it.
    fn encode(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    /// Everything the properties call: the API functions' apps (and the
    /// audit-logs one, with its own audit table), an admin and a user.
    struct Probe {
        runtime: tokio::runtime::Runtime,
        env: TestEnv,
        audit: opsflow_audit::api::audit_logs::AuditLogs,
        audit_table: String,
        admin: Account,
        user: Account,
    }

    impl Probe {
        fn new() -> Self {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            let (env, audit, audit_table, admin, user) = runtime.block_on(async {
                let env = crate::env().await;
                let (audit, audit_table) = env.audit_logs_app().await;
                let audit = opsflow_audit::api::audit_logs::AuditLogs::new(audit).unwrap();
                let admin = env.account("admin", Role::Admin).await;
                let user = env.account("user", Role::User).await;
                (env, audit, audit_table, admin, user)
            });
            Self {
                runtime,
                env,
                audit,
                audit_table,
                admin,
                user,
            }
        }

        /// A recorded request as `who`.
        fn event(&self, name: &str, who: &Account) -> Value {
            let mut event = fixture(name);
            event["headers"]["authorization"] = json!(format!("Bearer {}", who.tokens.access));
            event
        }

        /// The status a handler answers `event` with; `None` when `event`
        /// is not a request Lambda could deliver (a header value HTTP does
        /// not allow, say), which never reaches a handler.
        fn status(&self, event: &Value) -> Option<u16> {
            let text = event.to_string();
            let request = std::panic::catch_unwind(|| lambda_http::request::from_str(&text))
                .ok()?
                .ok()?;
            let function = event["rawPath"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("/api/v1")
                .split('/')
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            let env = &self.env;
            let response = self.runtime.block_on(async {
                match function.as_str() {
                    "auditLogs" => {
                        opsflow_audit::api::audit_logs::handle(&self.audit, request).await
                    }
                    other => env.dispatch(other, request).await,
                }
            });
            Some(response.status().as_u16())
        }

        /// Runs `property` on [`CASES`] values of `strategy`: each event it
        /// returns must be answered below 500, without a panic.
        fn check<S: Strategy>(&self, strategy: S, property: impl Fn(&S::Value) -> Vec<Value>)
        where
            S::Value: std::fmt::Debug,
        {
            let mut runner = TestRunner::new(Cases {
                cases: CASES,
                failure_persistence: None,
                ..Cases::default()
            });
            let result = runner.run(&strategy, |value| {
                for event in property(&value) {
                    let status = std::panic::catch_unwind(AssertUnwindSafe(|| self.status(&event)))
                        .map_err(|_| {
                            TestCaseError::fail(format!("the handler panicked on {event}"))
                        })?;
                    if let Some(status) = status {
                        prop_assert!(status < 500, "{} answered {status}", event["routeKey"]);
                    }
                }
                Ok(())
            });
            if let Err(error) = result {
                panic!("{error}");
            }
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            crate::helpers::delete_table_now(self.audit_table.clone());
        }
    }

    /// Sets the query string to `pairs`, encoded as a client would.
    fn with_query(mut event: Value, pairs: &[(&str, &str)]) -> Value {
        let raw: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        event["rawQueryString"] = json!(raw.join("&"));
        let single: serde_json::Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        event["queryStringParameters"] = Value::Object(single);
        event
    }

    /// Targets `<prefix>/{id}` at `id`.
    fn with_id(mut event: Value, prefix: &str, id: &str) -> Value {
        let path = format!("{prefix}/{}", encode(id));
        event["pathParameters"] = json!({ "id": id });
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event
    }

    fn with_header(mut event: Value, name: &str, value: &str) -> Value {
        event["headers"][name] = json!(value);
        event
    }

    #[test]
    fn no_audit_log_time_window_makes_a_handler_fail() {
        let probe = Probe::new();
        let time = || prop_oneof![3 => rfc3339(), 1 => text()];
        probe.check((time(), time()), |(from, to)| {
            // An admin's listing without filters walks the days of the
            // window (one `Query` a day, so once per case); with a key,
            // and a user's own listing, read one key.
            let admin = probe.event("audit-logs/list", &probe.admin);
            let user = probe.event("audit-logs/list", &probe.user);
            let key = [("entity", "user"), ("entity_id", probe.admin.id.as_str())];
            let keyed = |time: (&'static str, &str)| {
                let mut pairs = key.to_vec();
                pairs.push(time);
                with_query(admin.clone(), &pairs)
            };
            vec![
                keyed(("from", from.as_str())),
                keyed(("to", to.as_str())),
                with_query(
                    admin.clone(),
                    &[("from", from.as_str()), ("to", to.as_str())],
                ),
                with_query(user, &[("from", from.as_str()), ("to", to.as_str())]),
            ]
        });
    }

    #[test]
    fn no_cursor_makes_a_listing_fail() {
        let probe = Probe::new();
        probe.check(text(), |cursor| {
            [
                "users/list",
                "workflows/list",
                "approvals/list",
                "rules/list",
                "automation/runs",
                "audit-logs/list",
            ]
            .into_iter()
            .map(|name| {
                with_query(
                    probe.event(name, &probe.admin),
                    &[("cursor", cursor.as_str())],
                )
            })
            .collect()
        });
    }

    #[test]
    fn no_path_id_makes_a_route_fail() {
        let probe = Probe::new();
        probe.check(text(), |id| {
            [
                ("users/get", "/api/v1/users"),
                ("users/patch", "/api/v1/users"),
                ("workflows/get", "/api/v1/workflows"),
                ("workflows/patch", "/api/v1/workflows"),
                ("approvals/get", "/api/v1/approvals"),
                ("approvals/patch", "/api/v1/approvals"),
                ("rules/get", "/api/v1/rules"),
                ("rules/patch", "/api/v1/rules"),
            ]
            .into_iter()
            .map(|(name, prefix)| with_id(probe.event(name, &probe.admin), prefix, id))
            // Whether a user may see an approval is decided from the id too.
            .chain(
                ["approvals/get", "approvals/patch"]
                    .map(|name| with_id(probe.event(name, &probe.user), "/api/v1/approvals", id)),
            )
            .collect()
        });
    }

    #[test]
    fn no_header_value_makes_a_route_fail() {
        let probe = Probe::new();
        let admin = &probe.admin;
        probe.check(text(), |value| {
            let own = |name: &str| with_id(probe.event(name, admin), "/api/v1/users", &admin.id);
            vec![
                with_header(own("users/patch"), "if-match", value),
                with_header(own("users/get"), "x-correlation-id", value),
                with_header(
                    probe.event("workflows/create", admin),
                    "idempotency-key",
                    value,
                ),
                with_header(
                    probe.event("audit-logs/list", admin),
                    "x-correlation-id",
                    value,
                ),
                with_header(
                    probe.event("audit-logs/create", &probe.user),
                    "idempotency-key",
                    value,
                ),
            ]
        });
    }
}
