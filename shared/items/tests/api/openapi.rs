//! The items' real answers are the ones their OpenAPI description
//! promises: for each route, a success and the errors a client meets,
//! checked for status, media type and body schema.

use crate::helpers::{page_column, Account, Call, Reply, TestEnv};
use crate::{at, create, named};
use opsflow_platform::domain::Role;
use opsflow_platform::testkit::contract::{assert_conforms, document, resolved_references};
use serde_json::{json, Value};

/// Asserts that `reply` to `route` is one the description promises, with
/// the status the test expects.
fn conforms(doc: &Value, route: &str, reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{route}: {}", reply.body);
    assert_conforms(doc, route, reply);
}

const NOWHERE: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

const LIST: &str = "GET /api/v1/items";
const CREATE: &str = "POST /api/v1/items";
const GET: &str = "GET /api/v1/items/{id}";
const PATCH: &str = "PATCH /api/v1/items/{id}";
const PUT: &str = "PUT /api/v1/items/{id}";
const DELETE: &str = "DELETE /api/v1/items/{id}";

fn item() -> Value {
    json!({
        "name": "Staging cluster",
        "description": "The shared staging Kubernetes cluster",
        "status": "active",
        "metadata": {"region": "eu-west-1", "nodes": 3}
    })
}

/// A body over the 64 KiB a route reads.
fn oversized() -> Value {
    json!({"name": "Big", "description": "d".repeat(65 * 1024)})
}

/// An environment with an item's owner, another user (who may read it but
/// not change it), an admin and the owner's item.
async fn office() -> (TestEnv, Account, Account, Account, String) {
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let other = env.account("other", Role::User).await;
    let admin = env.account("admin", Role::Admin).await;
    let id = create(&env, &owner, item()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (env, owner, other, admin, id)
}

#[tokio::test]
async fn create_and_list_answers_match_the_description() {
    let doc = document(opsflow_items::openapi::doc());
    let env = crate::env().await;
    let owner = env.account("owner", Role::User).await;
    let reader = env.account("reader", Role::Approver).await;
    let post = |body: Value| Call::new("items/create").body(body);
    let keyed = |key: &str, body: Value| post(body).header("idempotency-key", key);

    let created = env.call(keyed("item-1", item()).by(&owner)).await;
    conforms(&doc, CREATE, &created, 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let location = format!("/api/v1/items/{id}");
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["owner_id"], owner.id.as_str());
    let replayed = env.call(keyed("item-1", item()).by(&owner)).await;
    conforms(&doc, CREATE, &replayed, 201);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, created.body);
    let reused = env
        .call(keyed("item-1", json!({"name": "Other"})).by(&owner))
        .await;
    conforms(&doc, CREATE, &reused, 422);
    let bad_key = env.call(keyed("two words", item()).by(&owner)).await;
    conforms(&doc, CREATE, &bad_key, 400);

    let minimal = env.call(post(json!({"name": "Ab"})).by(&reader)).await;
    conforms(&doc, CREATE, &minimal, 201);
    assert_eq!(minimal.body["status"], "active");
    assert_eq!(minimal.body["metadata"], json!({}));
    let invalid = json!({"name": "ok", "status": "deleted", "metadata": [1]});
    conforms(&doc, CREATE, &env.call(post(invalid).by(&owner)).await, 422);
    let nameless = env.call(post(json!({})).by(&owner)).await;
    conforms(&doc, CREATE, &nameless, 422);
    let chosen = json!({"name": "Mine", "owner_id": NOWHERE});
    conforms(&doc, CREATE, &env.call(post(chosen).by(&owner)).await, 400);
    let garbled = Call::new("items/create").raw_body("{\"name\": ");
    conforms(&doc, CREATE, &env.call(garbled.by(&owner)).await, 400);
    let text = post(item()).header("content-type", "text/plain");
    conforms(&doc, CREATE, &env.call(text.by(&owner)).await, 415);
    let large = env.call(post(oversized()).by(&owner)).await;
    conforms(&doc, CREATE, &large, 413);

    let list = |query: &[(&str, &str)]| Call::new("items/list").query(query);
    let all = env.call(list(&[]).by(&reader)).await;
    conforms(&doc, LIST, &all, 200);
    assert_eq!(page_column(&all.body, "id").len(), 2);
    let query = [
        ("status", "active"),
        ("search", "STAGING"),
        ("sort_by", "name"),
        ("sort_order", "asc"),
        ("limit", "1"),
    ];
    let first = env.call(list(&query).by(&reader)).await;
    conforms(&doc, LIST, &first, 200);
    assert_eq!(page_column(&first.body, "id"), vec![id]);
    for (name, value) in [
        ("status", "gone"),
        ("search", ""),
        ("sort_by", "status"),
        ("sort_order", "up"),
        ("limit", "0"),
    ] {
        let bad = env.call(list(&[(name, value)]).by(&reader)).await;
        conforms(&doc, LIST, &bad, 422);
    }
    for query in [
        [("owner", "me")],
        [("cursor", "forged")],
        [("limit", "all")],
    ] {
        let bad = env.call(list(&query).by(&reader)).await;
        conforms(&doc, LIST, &bad, 400);
    }
    let twice = list(&[("status", "active"), ("status", "archived")]);
    conforms(&doc, LIST, &env.call(twice.by(&reader)).await, 400);
}

#[tokio::test]
async fn read_change_and_replace_answers_match_the_description() {
    let doc = document(opsflow_items::openapi::doc());
    let (env, owner, other, admin, id) = office().await;

    let read = env.call(at("items/get", &id).by(&other)).await;
    conforms(&doc, GET, &read, 200);
    assert_eq!(read.header("etag"), Some("\"1\""));
    for missing in [NOWHERE, "not-an-id"] {
        let reply = env.call(at("items/get", missing).by(&other)).await;
        conforms(&doc, GET, &reply, 404);
    }

    let patch = |id: &str, body: Value| at("items/patch", id).body(body);
    let off = json!({"status": "inactive", "description": ""});
    let changed = patch(&id, off.clone()).header("if-match", "\"1\"");
    let changed = env.call(changed.by(&owner)).await;
    conforms(&doc, PATCH, &changed, 200);
    assert_eq!(changed.header("etag"), Some("\"2\""));
    assert_eq!(changed.body["status"], "inactive");
    let stale = patch(&id, off.clone()).header("if-match", "\"1\"");
    conforms(&doc, PATCH, &env.call(stale.by(&owner)).await, 412);
    let garbled = patch(&id, off.clone()).header("if-match", "latest");
    conforms(&doc, PATCH, &env.call(garbled.by(&owner)).await, 400);
    let behind = patch(&id, json!({"name": "Behind", "version": 1}));
    conforms(&doc, PATCH, &env.call(behind.by(&owner)).await, 409);
    let unknown = patch(&id, json!({"colour": "red"}));
    conforms(&doc, PATCH, &env.call(unknown.by(&owner)).await, 400);
    let empty = patch(&id, json!({"version": 2}));
    conforms(&doc, PATCH, &env.call(empty.by(&owner)).await, 422);
    let invalid = patch(&id, json!({"name": "two\nlines"}));
    conforms(&doc, PATCH, &env.call(invalid.by(&owner)).await, 422);
    let text = patch(&id, off.clone()).header("content-type", "text/plain");
    conforms(&doc, PATCH, &env.call(text.by(&owner)).await, 415);
    let large = env.call(patch(&id, oversized()).by(&owner)).await;
    conforms(&doc, PATCH, &large, 413);
    let missing = env.call(patch(NOWHERE, off.clone()).by(&owner)).await;
    conforms(&doc, PATCH, &missing, 404);
    let refused = env.call(patch(&id, off.clone()).by(&other)).await;
    conforms(&doc, PATCH, &refused, 403);
    let by_admin = env
        .call(patch(&id, json!({"name": "Staging"})).by(&admin))
        .await;
    conforms(&doc, PATCH, &by_admin, 200);
    assert_eq!(by_admin.body["version"], 3);

    let put = |id: &str, body: Value| at("items/put", id).body(body);
    let full = json!({"name": "Old staging", "status": "archived", "version": 3});
    let replaced = env.call(put(&id, full.clone()).by(&owner)).await;
    conforms(&doc, PUT, &replaced, 200);
    assert_eq!(replaced.header("etag"), Some("\"4\""));
    assert_eq!(replaced.body["description"], "");
    assert_eq!(replaced.body["metadata"], json!({}));
    let behind = env.call(put(&id, full.clone()).by(&owner)).await;
    conforms(&doc, PUT, &behind, 409);
    let whole = json!({"name": "Old staging", "status": "archived"});
    let stale = put(&id, whole.clone()).header("if-match", "\"3\"");
    conforms(&doc, PUT, &env.call(stale.by(&owner)).await, 412);
    let garbled = put(&id, whole.clone()).header("if-match", "latest");
    conforms(&doc, PUT, &env.call(garbled.by(&owner)).await, 400);
    let partial = put(&id, json!({"name": "No status"}));
    conforms(&doc, PUT, &env.call(partial.by(&owner)).await, 422);
    let invalid = put(&id, json!({"name": "ok", "status": "deleted"}));
    conforms(&doc, PUT, &env.call(invalid.by(&owner)).await, 422);
    let mistyped = put(&id, json!({"name": 5, "status": "active"}));
    conforms(&doc, PUT, &env.call(mistyped.by(&owner)).await, 400);
    let text = put(&id, whole.clone()).header("content-type", "text/plain");
    conforms(&doc, PUT, &env.call(text.by(&owner)).await, 415);
    let mut big = oversized();
    big["status"] = json!("active");
    conforms(&doc, PUT, &env.call(put(&id, big).by(&owner)).await, 413);
    let missing = env.call(put(NOWHERE, whole.clone()).by(&owner)).await;
    conforms(&doc, PUT, &missing, 404);
    let refused = env.call(put(&id, whole).by(&other)).await;
    conforms(&doc, PUT, &refused, 403);
}

#[tokio::test]
async fn delete_answers_match_the_description() {
    let doc = document(opsflow_items::openapi::doc());
    let (env, owner, other, admin, id) = office().await;
    let theirs = named(&env, &other, "Someone else's").await;

    let delete = |id: &str| at("items/delete", id);
    let stale = delete(&id).header("if-match", "\"2\"");
    conforms(&doc, DELETE, &env.call(stale.by(&owner)).await, 412);
    let garbled = delete(&id).header("if-match", "latest");
    conforms(&doc, DELETE, &env.call(garbled.by(&owner)).await, 400);
    conforms(&doc, DELETE, &env.call(delete(&id).by(&other)).await, 403);
    let gone = delete(&id).header("if-match", "\"1\"");
    conforms(&doc, DELETE, &env.call(gone.by(&owner)).await, 204);
    conforms(&doc, DELETE, &env.call(delete(&id).by(&owner)).await, 404);
    let read = env.call(at("items/get", &id).by(&owner)).await;
    conforms(&doc, GET, &read, 404);
    let by_admin = env.call(delete(&theirs).by(&admin)).await;
    conforms(&doc, DELETE, &by_admin, 204);
}

#[test]
fn every_schema_the_description_names_is_in_it() {
    let doc = document(opsflow_items::openapi::doc());
    let found = resolved_references(&doc);
    assert!(found.iter().any(|r| r.ends_with("/ItemSortBy")));
}
