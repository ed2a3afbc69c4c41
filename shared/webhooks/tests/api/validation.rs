//! Bad input to the `webhooks` routes: each refused with the status and the
//! field it is about, and nothing written. URLs the address policy refuses
//! are refused when written (and again at every delivery).

use crate::helpers::{Account, Call, TestEnv};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

fn good() -> Value {
    json!({"url": "https://hooks.example.com/in", "events": ["approval.rejected"]})
}

fn with(change: Value) -> Value {
    let mut body = good();
    for (key, value) in change.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

async fn admin(env: &TestEnv) -> Account {
    env.account("admin", Role::Admin).await
}

/// Sends each body to `POST /api/v1/webhooks` and checks the answer names
/// the field; the table is unchanged afterwards.
async fn refused(env: &TestEnv, admin: &Account, cases: Vec<(Value, u16, &str)>) {
    let before = env.all_items().await.len();
    for (body, status, field) in cases {
        let reply = env
            .call(Call::new("webhooks/create").by(admin).body(body.clone()))
            .await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
        reply.assert_problem(status, field);
    }
    assert_eq!(env.all_items().await.len(), before, "nothing is written");
}

#[tokio::test]
async fn urls_that_reach_private_addresses_or_break_the_rules_are_refused() {
    let env = crate::env_without_allow_list().await;
    let admin = admin(&env).await;
    let urls = [
        "http://10.0.0.1/in",
        "https://10.0.0.1/in",
        "https://127.0.0.2/in",
        "https://[::1]/in",
        "https://[::ffff:127.0.0.1]/in",
        "https://[::ffff:a9fe:a9fe]/latest",
        "https://169.254.169.254/latest/meta-data",
        "https://192.168.1.20/in",
        "https://100.64.0.1/in",
        "https://localhost/in",
        "https://2130706433/in",
        "https://0x7f000001/in",
        "http://hooks.example.com/in",
        "ftp://hooks.example.com/in",
        "https://user:pw@hooks.example.com/in",
        "https://hooks.example.com/in#part",
        "not a url",
        "",
    ];
    let mut cases: Vec<(Value, u16, &str)> = urls
        .iter()
        .map(|url| (with(json!({"url": url})), 422, "url"))
        .collect();
    let long = format!("https://hooks.example.com/{}", "a".repeat(2048));
    cases.push((with(json!({"url": long})), 422, "url"));
    refused(&env, &admin, cases).await;
}

#[tokio::test]
async fn loopback_is_refused_unless_the_host_is_on_the_allow_list() {
    let env = crate::env().await;
    let admin = admin(&env).await;
    // `127.0.0.1` and `inbox.local` are on this environment's allow-list.
    for url in ["http://127.0.0.1:9000/in", "http://inbox.local/in"] {
        let reply = env
            .call(
                Call::new("webhooks/create")
                    .by(&admin)
                    .body(with(json!({"url": url}))),
            )
            .await;
        assert_eq!(reply.status, 201, "{url}: {}", reply.body);
    }
    let elsewhere = crate::env_without_allow_list().await;
    let admin = elsewhere.account("admin", Role::Admin).await;
    let cases = vec![
        (with(json!({"url": "http://127.0.0.1:9000/in"})), 422, "url"),
        (with(json!({"url": "https://127.0.0.1/in"})), 422, "url"),
    ];
    refused(&elsewhere, &admin, cases).await;
}

#[tokio::test]
async fn bad_patterns_topics_descriptions_and_shapes_are_refused() {
    let env = crate::env().await;
    let admin = admin(&env).await;
    let many: Vec<String> = (0..21).map(|n| format!("e{n}.created")).collect();
    let cases = vec![
        (with(json!({"events": ["Order.Created"]})), 422, "events"),
        (with(json!({"events": ["approval..x"]})), 422, "events"),
        (
            with(json!({"events": ["order.*", "order.*"]})),
            422,
            "events",
        ),
        (with(json!({"events": many})), 422, "events"),
        (with(json!({"events": []})), 422, "events"),
        (with(json!({"topics": ["Ops Alerts"]})), 422, "topics"),
        (with(json!({"topics": many})), 422, "topics"),
        (
            with(json!({"description": "d".repeat(501)})),
            422,
            "description",
        ),
        (with(json!({"events": "approval.rejected"})), 400, "events"),
        (with(json!({"active": "yes"})), 400, "active"),
        (with(json!({"secret": "whsec_mine"})), 400, "secret"),
        (json!({"events": ["*"]}), 422, "url"),
    ];
    refused(&env, &admin, cases).await;
}

#[tokio::test]
async fn bad_changes_are_refused_and_leave_the_subscription_as_it_was() {
    let env = crate::env().await;
    let admin = admin(&env).await;
    let id = env
        .create(Call::new("webhooks/create").by(&admin).body(good()))
        .await;
    let patch = |body: Value| {
        Call::new("webhooks/patch")
            .resource_id("api/v1/webhooks", &id)
            .by(&admin)
            .body(body)
    };
    let before = env.all_items().await;
    let cases: Vec<(Call, u16, &str)> = vec![
        (patch(json!({})), 422, "body"),
        (patch(json!({"url": "https://10.1.2.3/in"})), 422, "url"),
        (patch(json!({"events": []})), 422, "events"),
        (patch(json!({"topics": ["BAD"]})), 422, "topics"),
        (patch(json!({"name": "x"})), 400, "name"),
        (patch(json!({"active": 1})), 400, "active"),
    ];
    for (call, status, field) in cases {
        env.call(call).await.assert_problem(status, field);
    }
    let stale = env
        .call(patch(json!({"active": false, "version": 7})))
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    let stale = env
        .call(patch(json!({"active": false})).header("if-match", "\"7\""))
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert_eq!(env.all_items().await, before, "nothing is written");
    // Topics alone are enough once the patterns go.
    let topics_only = env
        .call(patch(json!({"events": [], "topics": ["ops.alerts"]})))
        .await;
    assert_eq!(topics_only.status, 200, "{}", topics_only.body);
}

#[tokio::test]
async fn unknown_ids_and_bad_listings_are_refused() {
    let env = crate::env().await;
    let admin = admin(&env).await;
    for id in ["0193b2a4-7a00-7b00-8c00-0000000000d1", "not-an-id"] {
        for fixture in [
            "webhooks/get",
            "webhooks/delete",
            "webhooks/ping",
            "webhooks/rotate-secret",
        ] {
            let reply = env
                .call(
                    Call::new(fixture)
                        .resource_id("api/v1/webhooks", id)
                        .by(&admin),
                )
                .await;
            assert_eq!(reply.status, 404, "{fixture} {id}: {}", reply.body);
        }
    }
    let list = |pairs: &[(&str, &str)]| Call::new("webhooks/list").by(&admin).query(pairs);
    env.call(list(&[("active", "maybe")]))
        .await
        .assert_problem(422, "active");
    let unknown = env.call(list(&[("status", "on")])).await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    env.call(list(&[("limit", "0")]))
        .await
        .assert_problem(422, "limit");
}
