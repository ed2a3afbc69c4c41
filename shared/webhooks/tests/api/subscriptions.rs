//! Subscriptions: admins create them (the secret shown once), read, change,
//! rotate, ping and delete them; every change is an event, and no event or
//! read shows a secret.

use crate::helpers::{page_column, Account, Call, TestEnv};
use opsflow_platform::domain::Role;
use opsflow_webhooks::domain::signing::Secret;
use serde_json::{json, Value};

fn at(call: Call, id: &str) -> Call {
    call.resource_id("api/v1/webhooks", id)
}

async fn create(env: &TestEnv, admin: &Account, body: Value) -> Value {
    let reply = env
        .call(Call::new("webhooks/create").by(admin).body(body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

/// The secret in an answer, checked to be one a receiver can use.
fn secret_of(body: &Value) -> Secret {
    let text = body["secret"].as_str().expect("a secret");
    assert!(text.starts_with("whsec_"), "{text}");
    Secret::parse(text).unwrap()
}

#[tokio::test]
async fn an_admin_creates_reads_changes_rotates_pings_and_deletes_a_subscription() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let token = Some(admin.tokens.access.as_str());
    let created = env
        .call(Call::new("webhooks/create").by(&admin).body(json!({
            "url": "https://hooks.example.com/opsflow",
            "description": "Rejections to finance",
            "events": ["approval.rejected", "order.*"],
            "topics": ["approvals.auto_approved"]
        })))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let body = &created.body;
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/webhooks/{id}").as_str())
    );
    let first_secret = secret_of(body);
    assert_eq!(body["events"], json!(["approval.rejected", "order.*"]));
    assert_eq!(body["topics"], json!(["approvals.auto_approved"]));
    assert_eq!(body["active"], true);
    assert_eq!(body["failed_in_a_row"], 0);
    assert_eq!(body["version"], 1);

    // Read back: everything but the secret.
    let read = env
        .call(at(Call::new("webhooks/get"), &id).token(token))
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("etag"), Some("\"1\""));
    let mut expected = body.clone();
    expected.as_object_mut().unwrap().remove("secret");
    assert_eq!(read.body, expected);
    let listed = env.call(Call::new("webhooks/list").token(token)).await;
    assert_eq!(page_column(&listed.body, "id"), vec![id.clone()]);
    assert!(!listed.body.to_string().contains("whsec_"));

    let changed = env
        .call(
            at(Call::new("webhooks/patch"), &id)
                .token(token)
                .header("if-match", "1")
                .body(json!({"events": ["approval.*"], "active": false})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["events"], json!(["approval.*"]));
    assert_eq!(changed.body["topics"], body["topics"]);
    assert_eq!(changed.body["active"], false);
    assert_eq!(changed.body["version"], 2);
    let inactive = env
        .call(
            Call::new("webhooks/list")
                .token(token)
                .query(&[("active", "false")]),
        )
        .await;
    assert_eq!(page_column(&inactive.body, "id"), vec![id.clone()]);
    let active = env
        .call(
            Call::new("webhooks/list")
                .token(token)
                .query(&[("active", "true")]),
        )
        .await;
    assert!(page_column(&active.body, "id").is_empty());

    // A rotation shows the new secret once; the old one still signs.
    let rotated = env
        .call(at(Call::new("webhooks/rotate-secret"), &id).token(token))
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second_secret = secret_of(&rotated.body);
    assert_ne!(second_secret, first_secret);
    assert!(rotated.body["previous_secret_expires_at"].is_string());
    let after = env
        .call(at(Call::new("webhooks/get"), &id).token(token))
        .await;
    assert!(after.body.get("secret").is_none());
    assert_eq!(
        after.body["previous_secret_expires_at"],
        rotated.body["previous_secret_expires_at"]
    );

    let ping = env
        .call(at(Call::new("webhooks/ping"), &id).token(token))
        .await;
    assert_eq!(ping.status, 202, "{}", ping.body);
    let delivery = ping.body["delivery_id"].as_str().unwrap();
    assert_eq!(
        ping.header("location"),
        Some(format!("/api/v1/webhooks/{id}/deliveries/{delivery}").as_str())
    );

    let deleted = env
        .call(at(Call::new("webhooks/delete"), &id).token(token))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let gone = env
        .call(at(Call::new("webhooks/get"), &id).token(token))
        .await;
    assert_eq!(gone.status, 404);

    let mut events: Vec<Value> = env
        .events()
        .await
        .into_iter()
        .filter(|e| e["entity"] == "webhook")
        .collect();
    events.sort_by_key(|e| e["id"].as_str().unwrap().to_owned());
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "webhook.created",
            "webhook.updated",
            "webhook.secret_rotated",
            "webhook.ping",
            "webhook.deleted"
        ]
    );
    assert_eq!(events[1]["changes"]["active"], json!([true, false]));
    assert_eq!(
        events[1]["changes"]["events"],
        json!([["approval.rejected", "order.*"], ["approval.*"]])
    );
    assert!(events[1]["changes"].get("url").is_none());
    assert_eq!(events[3]["data"]["webhook_id"], id.as_str());
    // Events show the URL by its origin alone.
    assert_eq!(events[0]["data"]["url"], "https://hooks.example.com");
    assert_eq!(events[0]["actor"]["id"], admin.id.as_str());
    for event in &events {
        assert!(!event.to_string().contains("whsec_"), "{event}");
    }
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_answers_the_same_subscription() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let call = || {
        Call::new("webhooks/create")
            .by(&admin)
            .header("idempotency-key", "create-hook-1")
            .body(json!({"url": "https://hooks.example.com/in", "events": ["*"]}))
    };
    let first = env.call(call()).await;
    let again = env.call(call()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.body, first.body);
    let listed = env.call(Call::new("webhooks/list").by(&admin)).await;
    assert_eq!(page_column(&listed.body, "id").len(), 1);
}

#[tokio::test]
async fn a_subscription_created_inactive_is_turned_on_by_a_patch() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let body = create(
        &env,
        &admin,
        json!({"url": "http://127.0.0.1:9/in", "events": ["*"], "active": false}),
    )
    .await;
    assert_eq!(body["active"], false);
    let id = body["id"].as_str().unwrap();
    let on = env
        .call(
            at(Call::new("webhooks/patch"), id)
                .by(&admin)
                .body(json!({"active": true, "version": 1})),
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(on.body["active"], true);
    assert_eq!(on.body["failed_in_a_row"], 0);
    assert_eq!(on.body["disabled_at"], Value::Null);
}

#[tokio::test]
async fn a_retried_rotation_with_the_same_idempotency_key_rotates_once() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let created = create(
        &env,
        &admin,
        json!({"url": "https://hooks.example.com/in", "events": ["*"]}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let rotate = || {
        at(Call::new("webhooks/rotate-secret"), id)
            .by(&admin)
            .header("idempotency-key", "rotate-1")
    };
    let first = env.call(rotate()).await;
    let again = env.call(rotate()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(again.body["secret"], first.body["secret"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(env.events_of_type("webhook.secret_rotated").await.len(), 1);
}
