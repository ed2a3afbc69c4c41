//! Settings as clients see them: every key with its default until an admin
//! sets it, values checked against their key's type, each change with its
//! event and guarded against a concurrent one.

use crate::at;
use crate::helpers::Call;
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

fn by_key(page: &Value) -> Vec<(String, Value)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].as_str().unwrap().to_owned(), s["value"].clone()))
        .collect()
}

#[tokio::test]
async fn every_setting_has_its_default_until_an_admin_sets_it() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;

    let fresh = env.call(Call::new("settings/list").by(&user)).await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(
        by_key(&fresh.body),
        [
            ("app.name".to_owned(), json!("Opsflow")),
            ("app.version".to_owned(), json!("1.0.0")),
            ("features.dark_mode".to_owned(), json!(false)),
            ("features.analytics".to_owned(), json!(true)),
        ]
    );
    let first = &fresh.body["items"][0];
    assert_eq!(first["type"], "string");
    assert_eq!(first["is_default"], true);
    assert_eq!(first["version"], 0);
    assert_eq!(first["updated_by"], Value::Null);
    assert_eq!(fresh.body["next_cursor"], Value::Null);

    let set = env
        .call(
            at("settings/put", "features.dark_mode")
                .by(&admin)
                .header("if-match", "\"0\"")
                .body(json!({"value": true})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["value"], true);
    assert_eq!(set.body["is_default"], false);
    assert_eq!(set.body["version"], 1);
    assert_eq!(set.body["updated_by"], admin.id.as_str());
    assert_eq!(set.header("etag"), Some("\"1\""));
    let renamed = env
        .call(
            at("settings/put", "app.name")
                .by(&admin)
                .body(json!({"value": "  Acme Ops ", "version": 0})),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["value"], "Acme Ops");

    let now = env.call(Call::new("settings/list").by(&user)).await;
    assert_eq!(
        by_key(&now.body),
        [
            ("app.name".to_owned(), json!("Acme Ops")),
            ("app.version".to_owned(), json!("1.0.0")),
            ("features.dark_mode".to_owned(), json!(true)),
            ("features.analytics".to_owned(), json!(true)),
        ]
    );
    let one = env
        .call(at("settings/get", "features.dark_mode").by(&admin))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body, set.body);

    let events = env.events_of_type("setting.updated").await;
    let mut changes: Vec<(String, Value)> = events
        .iter()
        .map(|e| {
            (
                e["entity_id"].as_str().unwrap().to_owned(),
                e["changes"]["value"].clone(),
            )
        })
        .collect();
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        changes,
        [
            ("app.name".to_owned(), json!(["Opsflow", "Acme Ops"])),
            ("features.dark_mode".to_owned(), json!([false, true])),
        ]
    );
    assert!(events.iter().all(|e| e["actor"]["id"] == admin.id.as_str()));
}

#[tokio::test]
async fn a_value_of_the_wrong_type_or_an_unknown_key_is_refused_and_nothing_is_written() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let before = env.all_items().await.len();
    let put = |key: &str, body: Value| at("settings/put", key).by(&admin).body(body);
    let cases = vec![
        (
            put("features.dark_mode", json!({"value": "yes"})),
            422,
            "value",
        ),
        (
            put("features.dark_mode", json!({"value": null})),
            422,
            "value",
        ),
        (put("app.name", json!({"value": 7})), 422, "value"),
        (put("app.name", json!({"value": " "})), 422, "value"),
        (
            put("app.version", json!({"value": "v".repeat(33)})),
            422,
            "value",
        ),
        (
            put("app.name", json!({"value": "x", "colour": 1})),
            400,
            "colour",
        ),
        (put("app.name", json!({})), 422, "value"),
        (
            at("settings/put", "app.name")
                .by(&admin)
                .raw_body("{\"value\": "),
            400,
            "body",
        ),
        (
            put("app.name", json!({"value": "x"})).header("if-match", "\"3\""),
            412,
            "",
        ),
        (
            put("app.name", json!({"value": "x", "version": 2})),
            409,
            "",
        ),
    ];
    for (call, status, field) in cases {
        let reply = env.call(call).await;
        assert_eq!(reply.status, status, "{field}: {}", reply.body);
        if !field.is_empty() {
            reply.assert_problem(status, field);
        }
    }
    for key in ["app.colour", "APP.NAME", "app"] {
        let reply = env.call(put(key, json!({"value": "x"}))).await;
        assert_eq!(reply.status, 404, "{key}: {}", reply.body);
        let reply = env.call(at("settings/get", key).by(&admin)).await;
        assert_eq!(reply.status, 404, "{key}");
    }
    assert_eq!(env.all_items().await.len(), before, "nothing is written");
}

#[tokio::test]
async fn a_change_over_one_made_since_is_refused() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let put = |value: bool, version: u64| {
        at("settings/put", "features.analytics")
            .by(&admin)
            .body(json!({"value": value, "version": version}))
    };
    assert_eq!(env.call(put(false, 0)).await.status, 200);
    // A second admin working from the default.
    let stale = env.call(put(true, 0)).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert_eq!(env.call(put(true, 1)).await.status, 200);
    let now = env
        .call(at("settings/get", "features.analytics").by(&admin))
        .await;
    assert_eq!(now.body["value"], true);
    assert_eq!(now.body["version"], 2);
}

#[tokio::test]
async fn readers_see_a_change_once_their_cached_values_expire() {
    use opsflow_settings::cache::SettingsCache;
    use std::time::Duration;
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let store = env.users.store.clone();
    let kept = SettingsCache::new(Duration::from_secs(3600));
    let brief = SettingsCache::new(Duration::ZERO);
    assert_eq!(kept.value(&store, "app.name").await, json!("Opsflow"));
    assert_eq!(brief.value(&store, "app.name").await, json!("Opsflow"));

    let set = env
        .call(
            at("settings/put", "app.name")
                .by(&admin)
                .body(json!({"value": "Acme Ops"})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    // Within its TTL a reader keeps what it read; past it, it reads again.
    assert_eq!(kept.value(&store, "app.name").await, json!("Opsflow"));
    assert_eq!(brief.value(&store, "app.name").await, json!("Acme Ops"));
    assert_eq!(brief.value(&store, "features.analytics").await, json!(true));
    assert_eq!(brief.value(&store, "no.such.key").await, Value::Null);
}
