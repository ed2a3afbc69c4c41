//! `Idempotency-Key` on creates: a retry gets the first response and
//! creates nothing new.

mod common;

use common::{Call, TestEnv, PASSWORD};
use serde_json::json;

fn registration(email: &str) -> serde_json::Value {
    json!({"email": email, "password": PASSWORD, "name": "Retry"})
}

fn users_in(
    items: &[std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>],
) -> usize {
    items
        .iter()
        .filter(|i| {
            i.get("type")
                .and_then(|t| t.as_s().ok())
                .map(String::as_str)
                == Some("user")
        })
        .count()
}

#[tokio::test]
async fn a_retried_registration_replays_the_first_response() {
    let env = TestEnv::new().await;
    let call = || {
        Call::new("auth/register")
            .header("idempotency-key", "signup-7f3a")
            .body(registration("retry@example.com"))
    };
    let first = env.call(call()).await;
    let second = env.call(call()).await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.body["id"], second.body["id"]);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(users_in(&env.all_items().await), 1);
    assert_eq!(env.events().await.len(), 1);
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_refused() {
    let env = TestEnv::new().await;
    let first = env
        .call(
            Call::new("auth/register")
                .header("idempotency-key", "signup-1")
                .body(registration("one@example.com")),
        )
        .await;
    assert_eq!(first.status, 201);
    let other = env
        .call(
            Call::new("auth/register")
                .header("idempotency-key", "signup-1")
                .body(registration("two@example.com")),
        )
        .await;
    other.assert_problem(422, "Idempotency-Key");
    assert_eq!(users_in(&env.all_items().await), 1);
}

#[tokio::test]
async fn malformed_keys_are_refused_and_write_nothing() {
    let env = TestEnv::new().await;
    let before = env.all_items().await.len();
    let reply = env
        .call(
            Call::new("auth/register")
                .header("idempotency-key", "has spaces in it")
                .body(registration("bad-key@example.com")),
        )
        .await;
    reply.assert_problem(400, "Idempotency-Key");
    assert_eq!(env.all_items().await.len(), before);
}

#[tokio::test]
async fn a_refused_request_is_replayed_too() {
    let env = TestEnv::new().await;
    let call = || {
        Call::new("auth/register")
            .header("idempotency-key", "signup-bad")
            .body(json!({"email": "nope", "password": PASSWORD, "name": "X"}))
    };
    let first = env.call(call()).await;
    let second = env.call(call()).await;
    first.assert_problem(422, "email");
    second.assert_problem(422, "email");
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
}
