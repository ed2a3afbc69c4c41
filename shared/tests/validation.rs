//! Bad input on every route is refused with a problem naming the field,
//! and nothing is written.

mod common;

use common::{Call, Reply, TestEnv, PASSWORD};
use opsflow_shared::domain::Role;
use serde_json::json;

/// The items of the table but the counters throttling keeps (a wrong
/// `current_password` is refused with 422 and still counts as an attempt).
async fn entity_items(env: &TestEnv) -> usize {
    env.all_items()
        .await
        .iter()
        .filter(|item| {
            let kind = item.get("type").and_then(|t| t.as_s().ok());
            !matches!(
                kind.map(String::as_str),
                Some("rate_counter" | "backoff_gate")
            )
        })
        .count()
}

async fn assert_nothing_written(env: &TestEnv, before: usize) {
    assert_eq!(entity_items(env).await, before, "the table changed");
}

#[tokio::test]
async fn register_refuses_each_kind_of_bad_input() {
    let env = TestEnv::new().await;
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
    let env = TestEnv::new().await;
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
    let env = TestEnv::new().await;
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
    let env = TestEnv::new().await;
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
    let env = TestEnv::new().await;
    let admin = env.account("admin", Role::Admin).await;
    let target = env.account("target", Role::User).await;
    let before = entity_items(&env).await;
    let as_admin = |call: Call| call.token(Some(&admin.tokens.access));
    let as_target = |call: Call| call.token(Some(&target.tokens.access));

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
            as_target(
                Call::new("users/patch")
                    .id(&target.id)
                    .body(json!({"email": "x@example.com"})),
            ),
            400,
            "email",
        ),
        (
            "patch wrong type",
            as_target(
                Call::new("users/patch")
                    .id(&target.id)
                    .body(json!({"name": 7})),
            ),
            400,
            "name",
        ),
        (
            "patch empty name",
            as_target(
                Call::new("users/patch")
                    .id(&target.id)
                    .body(json!({"name": ""})),
            ),
            422,
            "name",
        ),
        (
            "patch oversized name",
            as_target(
                Call::new("users/patch")
                    .id(&target.id)
                    .body(json!({"name": "n".repeat(101)})),
            ),
            422,
            "name",
        ),
        (
            "patch nothing",
            as_target(Call::new("users/patch").id(&target.id).body(json!({}))),
            422,
            "body",
        ),
        (
            "password without current",
            as_target(
                Call::new("users/patch")
                    .id(&target.id)
                    .body(json!({"password": "a new password"})),
            ),
            422,
            "current_password",
        ),
        (
            "password with wrong current",
            as_target(
                Call::new("users/patch")
                    .id(&target.id)
                    .body(json!({"password": "a new password", "current_password": "wrong"})),
            ),
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
