//! Items as a user sees them: created, read, changed (`PATCH`), replaced
//! (`PUT`) and deleted, each change with its event, and only by the
//! item's owner or an admin.

use crate::helpers::{Call, TestEnv};
use crate::{at, create, named};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

/// The events in the outbox about item `id`, oldest first: (type, data,
/// changes).
async fn events_of(env: &TestEnv, id: &str) -> Vec<(String, Value, Value)> {
    let mut found: Vec<Value> = env
        .events()
        .await
        .into_iter()
        .filter(|event| event["entity_id"] == id)
        .collect();
    let at = |event: &Value| {
        let text = event["occurred_at"].as_str().unwrap_or_default();
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
    };
    found.sort_by_key(at);
    found
        .into_iter()
        .map(|e| {
            let kind = e["type"].as_str().unwrap_or_default().to_owned();
            (kind, e["data"].clone(), e["changes"].clone())
        })
        .collect()
}

#[tokio::test]
async fn an_item_is_created_read_changed_replaced_and_deleted_with_its_events() {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let created = create(
        &env,
        &owner,
        json!({"name": "  Staging cluster ", "metadata": {"region": "eu-west-1"}}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["name"], "Staging cluster");
    assert_eq!(created["status"], "active");
    assert_eq!(created["description"], "");
    assert_eq!(created["metadata"], json!({"region": "eu-west-1"}));
    assert_eq!(created["owner_id"], owner.id.as_str());
    assert_eq!(created["version"], 1);

    let read = env.call(at("items/get", &id).by(&owner)).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created);
    assert_eq!(read.header("etag"), Some("\"1\""));

    let patched = env
        .call(
            at("items/patch", &id)
                .by(&owner)
                .body(json!({"status": "inactive"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["status"], "inactive");
    assert_eq!(patched.body["name"], "Staging cluster");
    assert_eq!(patched.body["metadata"], json!({"region": "eu-west-1"}));
    assert_eq!(patched.body["version"], 2);

    // A replacement sets every field: what it leaves out is cleared.
    let replaced = env
        .call(
            at("items/put", &id)
                .by(&owner)
                .header("if-match", "\"2\"")
                .body(json!({"name": "Old staging", "status": "archived"})),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["name"], "Old staging");
    assert_eq!(replaced.body["status"], "archived");
    assert_eq!(replaced.body["metadata"], json!({}));
    assert_eq!(replaced.body["version"], 3);

    let deleted = env.call(at("items/delete", &id).by(&owner)).await;
    assert_eq!(deleted.status, 204);
    let gone = env.call(at("items/get", &id).by(&owner)).await;
    assert_eq!(gone.status, 404);

    let events = events_of(&env, &id).await;
    let types: Vec<&str> = events.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "item.created",
            "item.updated",
            "item.updated",
            "item.deleted"
        ]
    );
    assert_eq!(events[0].1["name"], "Staging cluster");
    assert_eq!(events[1].2, json!({"status": ["active", "inactive"]}));
    assert_eq!(
        events[2].2,
        json!({
            "name": ["Staging cluster", "Old staging"],
            "status": ["inactive", "archived"],
            "metadata": [{"region": "eu-west-1"}, {}],
        })
    );
}

#[tokio::test]
async fn only_the_owner_or_an_admin_changes_an_item_and_everyone_reads_it() {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let other = env.account("other", Role::Approver).await;
    let admin = env.account("admin", Role::Admin).await;
    let id = named(&env, &owner, "Build runners").await;

    let read = env.call(at("items/get", &id).by(&other)).await;
    assert_eq!(read.status, 200);
    let refused = env
        .call(
            at("items/patch", &id)
                .by(&other)
                .body(json!({"name": "Mine now"})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let refused = env.call(at("items/delete", &id).by(&other)).await;
    assert_eq!(refused.status, 403);

    let by_admin = env
        .call(
            at("items/patch", &id)
                .by(&admin)
                .body(json!({"description": "Shared"})),
        )
        .await;
    assert_eq!(by_admin.status, 200);
    assert_eq!(by_admin.body["owner_id"], owner.id.as_str());
    let unchanged = env.call(at("items/get", &id).by(&owner)).await;
    assert_eq!(unchanged.body["name"], "Build runners");
    assert_eq!(unchanged.body["description"], "Shared");
}

#[tokio::test]
async fn a_change_over_a_stale_version_is_refused_and_writes_nothing() {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let id = named(&env, &owner, "Queue").await;
    let first = env
        .call(
            at("items/patch", &id)
                .by(&owner)
                .body(json!({"status": "inactive", "version": 1})),
        )
        .await;
    assert_eq!(first.status, 200);
    let stale = env
        .call(
            at("items/patch", &id)
                .by(&owner)
                .body(json!({"name": "Late", "version": 1})),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    let stale = env
        .call(
            at("items/put", &id)
                .by(&owner)
                .header("if-match", "\"1\"")
                .body(json!({"name": "Late", "status": "active"})),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let stale = env
        .call(
            at("items/delete", &id)
                .by(&owner)
                .header("if-match", "\"1\""),
        )
        .await;
    assert_eq!(stale.status, 412);
    let now = env.call(at("items/get", &id).by(&owner)).await;
    assert_eq!(now.body["name"], "Queue");
    assert_eq!(now.body["version"], 2);
}

#[tokio::test]
async fn a_create_retried_with_its_idempotency_key_makes_one_item() {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let create = || {
        Call::new("items/create")
            .by(&owner)
            .header("idempotency-key", "create-once-0001")
            .body(json!({"name": "Once"}))
    };
    let first = env.call(create()).await;
    let again = env.call(create()).await;
    assert_eq!(first.status, 201);
    assert_eq!(again.status, 201);
    assert_eq!(first.body["id"], again.body["id"]);
    let items = env
        .call(Call::new("items/list").by(&owner).query(&[]))
        .await;
    assert_eq!(items.body["items"].as_array().unwrap().len(), 1);
}
