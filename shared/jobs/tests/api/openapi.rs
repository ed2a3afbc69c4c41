//! The jobs' real answers are the ones their OpenAPI description
//! promises: for each route, a success and the errors a client meets,
//! checked for status, media type and body schema. The states a client
//! cannot reach alone (a running, failed or completed job) are made
//! through the service, as the worker makes them.

use crate::helpers::{page_column, Account, Call, Reply, TestEnv};
use crate::{at, create};
use opsflow_jobs::service;
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::testkit::contract::{assert_conforms, document, resolved_references};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Asserts that `reply` to `route` is one the description promises, with
/// the status the test expects.
fn conforms(doc: &Value, route: &str, reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{route}: {}", reply.body);
    assert_conforms(doc, route, reply);
}

const NOWHERE: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

const LIST: &str = "GET /api/v1/jobs";
const CREATE: &str = "POST /api/v1/jobs";
const CLEAN: &str = "POST /api/v1/jobs/clean";
const GET: &str = "GET /api/v1/jobs/{id}";
const DELETE: &str = "DELETE /api/v1/jobs/{id}";
const RETRY: &str = "POST /api/v1/jobs/{id}/retry";
const CANCEL: &str = "POST /api/v1/jobs/{id}/cancel";
const DOWNLOAD: &str = "GET /api/v1/jobs/{id}/download";

fn report() -> Value {
    json!({"type": "generate-report", "data": {"report": "items", "format": "csv"}})
}

fn cleanup() -> Value {
    json!({"type": "cleanup", "data": {"older_than_days": 90, "targets": ["jobs"]}})
}

/// A body over the 64 KiB a route reads.
fn oversized() -> Value {
    json!({"type": "cleanup", "data": {"note": "d".repeat(65 * 1024)}})
}

/// An environment with an admin and a user (who may do nothing here).
async fn office() -> (TestEnv, Account, Account) {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    (env, admin, user)
}

/// Queues a job as `admin`; its id.
async fn queued(env: &TestEnv, admin: &Account, body: Value) -> String {
    create(env, admin, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Job `id` as the store holds it.
async fn record(env: &TestEnv, id: &str) -> opsflow_jobs::store::JobRecord {
    let id = EntityId::parse(id).unwrap();
    service::job(&env.users.store, &id).await.unwrap()
}

/// Starts queued job `id`'s attempt, as the worker does: it is `running`.
async fn started(env: &TestEnv, id: &str) -> opsflow_jobs::store::JobRecord {
    let queued = record(env, id).await;
    service::start(&env.users.store, &queued).await.unwrap()
}

#[tokio::test]
async fn create_and_list_answers_match_the_description() {
    let doc = document(opsflow_jobs::openapi::doc());
    let (env, admin, user) = office().await;
    let post = |body: Value| Call::new("jobs/create").body(body);
    let keyed = |key: &str, body: Value| post(body).header("idempotency-key", key);

    let created = env.call(keyed("job-1", report()).by(&admin)).await;
    conforms(&doc, CREATE, &created, 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let location = format!("/api/v1/jobs/{id}");
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["status"], "queued");
    let replayed = env.call(keyed("job-1", report()).by(&admin)).await;
    conforms(&doc, CREATE, &replayed, 201);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, created.body);
    let reused = env.call(keyed("job-1", cleanup()).by(&admin)).await;
    conforms(&doc, CREATE, &reused, 422);
    let bad_key = env.call(keyed("two words", report()).by(&admin)).await;
    conforms(&doc, CREATE, &bad_key, 400);

    let every_field = json!({
        "type": "send-notification",
        "data": {"to": ["ops@example.com"], "subject": "Hi", "text": "Body"},
        "priority": 9,
        "delay_seconds": 60
    });
    let full = env.call(post(every_field).by(&admin)).await;
    conforms(&doc, CREATE, &full, 201);
    assert_eq!(full.body["priority"], 9);
    for invalid in [
        json!({"type": "mine-bitcoin", "data": {}}),
        json!({"type": "cleanup", "data": {}, "priority": 11}),
        json!({"type": "cleanup", "data": {}, "delay_seconds": -1}),
        json!({"type": "cleanup", "data": [1]}),
        json!({"type": "cleanup"}),
        json!({"type": "send-notification", "data": {"to": ["nope"], "subject": "s", "text": "t"}}),
        json!({"type": "generate-report", "data": {"report": "salaries"}}),
    ] {
        let reply = env.call(post(invalid).by(&admin)).await;
        conforms(&doc, CREATE, &reply, 422);
    }
    let unknown = json!({"type": "cleanup", "data": {}, "when": "now"});
    conforms(&doc, CREATE, &env.call(post(unknown).by(&admin)).await, 400);
    let mistyped = json!({"type": "cleanup", "data": {}, "priority": "high"});
    conforms(
        &doc,
        CREATE,
        &env.call(post(mistyped).by(&admin)).await,
        400,
    );
    let garbled = Call::new("jobs/create").raw_body("{\"type\": ");
    conforms(&doc, CREATE, &env.call(garbled.by(&admin)).await, 400);
    let text = post(report()).header("content-type", "text/plain");
    conforms(&doc, CREATE, &env.call(text.by(&admin)).await, 415);
    let large = env.call(post(oversized()).by(&admin)).await;
    conforms(&doc, CREATE, &large, 413);
    let refused = env.call(post(report()).by(&user)).await;
    conforms(&doc, CREATE, &refused, 403);

    let list = |query: &[(&str, &str)]| Call::new("jobs/list").query(query);
    let all = env.call(list(&[]).by(&admin)).await;
    conforms(&doc, LIST, &all, 200);
    assert_eq!(page_column(&all.body, "id").len(), 2);
    let query = [
        ("status", "queued"),
        ("type", "generate-report"),
        ("limit", "1"),
    ];
    let first = env.call(list(&query).by(&admin)).await;
    conforms(&doc, LIST, &first, 200);
    assert_eq!(page_column(&first.body, "id"), vec![id]);
    for (name, value) in [("status", "lost"), ("type", "mine-bitcoin"), ("limit", "0")] {
        let bad = env.call(list(&[(name, value)]).by(&admin)).await;
        conforms(&doc, LIST, &bad, 422);
    }
    for query in [
        [("owner", "me")],
        [("cursor", "forged")],
        [("limit", "all")],
    ] {
        let bad = env.call(list(&query).by(&admin)).await;
        conforms(&doc, LIST, &bad, 400);
    }
    let twice = list(&[("status", "queued"), ("status", "failed")]);
    conforms(&doc, LIST, &env.call(twice.by(&admin)).await, 400);
    conforms(&doc, LIST, &env.call(list(&[]).by(&user)).await, 403);
}

#[tokio::test]
async fn clean_answers_match_the_description() {
    let doc = document(opsflow_jobs::openapi::doc());
    let (env, admin, user) = office().await;
    let clean = || Call::new("jobs/clean");
    let week = json!({"older_than_days": 7});

    let asked = env.call(clean().body(week.clone()).by(&admin)).await;
    conforms(&doc, CLEAN, &asked, 202);
    let id = asked.body["id"].as_str().unwrap();
    let location = format!("/api/v1/jobs/{id}");
    assert_eq!(asked.header("location"), Some(location.as_str()));
    assert_eq!(asked.header("etag"), Some("\"1\""));
    assert_eq!(asked.body["type"], "cleanup");
    assert_eq!(
        asked.body["data"],
        json!({"older_than_days": 7, "targets": ["jobs"]})
    );
    // The body is optional, as documented.
    let body = &doc["paths"]["/api/v1/jobs/clean"]["post"]["requestBody"];
    assert_eq!(body["required"], false, "{body}");
    let bare = env.call(clean().no_body().by(&admin)).await;
    conforms(&doc, CLEAN, &bare, 202);
    assert_eq!(bare.body["data"]["older_than_days"], 30);
    let empty = env.call(clean().body(json!({})).by(&admin)).await;
    conforms(&doc, CLEAN, &empty, 202);

    let keyed = |key: &str, body: Value| clean().body(body).header("idempotency-key", key);
    let first = env.call(keyed("clean-1", week.clone()).by(&admin)).await;
    conforms(&doc, CLEAN, &first, 202);
    let replayed = env.call(keyed("clean-1", week.clone()).by(&admin)).await;
    conforms(&doc, CLEAN, &replayed, 202);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, first.body);
    let reused = keyed("clean-1", json!({"older_than_days": 8}));
    conforms(&doc, CLEAN, &env.call(reused.by(&admin)).await, 422);
    let bad_key = keyed("two words", week.clone());
    conforms(&doc, CLEAN, &env.call(bad_key.by(&admin)).await, 400);

    for days in [0, 3651] {
        let bad = clean().body(json!({"older_than_days": days}));
        conforms(&doc, CLEAN, &env.call(bad.by(&admin)).await, 422);
    }
    let unknown = clean().body(json!({"targets": ["items"]}));
    conforms(&doc, CLEAN, &env.call(unknown.by(&admin)).await, 400);
    let mistyped = clean().body(json!({"older_than_days": "7"}));
    conforms(&doc, CLEAN, &env.call(mistyped.by(&admin)).await, 400);
    let listed = clean().raw_body("[7]");
    conforms(&doc, CLEAN, &env.call(listed.by(&admin)).await, 400);
    let text = clean()
        .body(week.clone())
        .header("content-type", "text/plain");
    conforms(&doc, CLEAN, &env.call(text.by(&admin)).await, 415);
    let large = clean().body(json!({"note": "d".repeat(65 * 1024)}));
    conforms(&doc, CLEAN, &env.call(large.by(&admin)).await, 413);
    let refused = env.call(clean().body(week).by(&user)).await;
    conforms(&doc, CLEAN, &refused, 403);
}

#[tokio::test]
async fn read_cancel_retry_and_delete_answers_match_the_description() {
    let doc = document(opsflow_jobs::openapi::doc());
    let (env, admin, user) = office().await;
    let id = queued(&env, &admin, cleanup()).await;

    let read = env.call(at("jobs/get", &id).by(&admin)).await;
    conforms(&doc, GET, &read, 200);
    assert_eq!(read.header("etag"), Some("\"1\""));
    for missing in [NOWHERE, "not-an-id"] {
        let reply = env.call(at("jobs/get", missing).by(&admin)).await;
        conforms(&doc, GET, &reply, 404);
    }
    conforms(
        &doc,
        GET,
        &env.call(at("jobs/get", &id).by(&user)).await,
        403,
    );

    // Cancel: a queued job only.
    let cancel = |id: &str| at("jobs/cancel", id);
    let stale = cancel(&id).header("if-match", "\"2\"");
    conforms(&doc, CANCEL, &env.call(stale.by(&admin)).await, 412);
    let garbled = cancel(&id).header("if-match", "latest");
    conforms(&doc, CANCEL, &env.call(garbled.by(&admin)).await, 400);
    conforms(&doc, CANCEL, &env.call(cancel(&id).by(&user)).await, 403);
    conforms(
        &doc,
        CANCEL,
        &env.call(cancel(NOWHERE).by(&admin)).await,
        404,
    );
    let cancelled = cancel(&id).header("if-match", "\"1\"");
    let cancelled = env.call(cancelled.by(&admin)).await;
    conforms(&doc, CANCEL, &cancelled, 200);
    assert_eq!(cancelled.header("etag"), Some("\"2\""));
    assert_eq!(cancelled.body["status"], "cancelled");
    conforms(&doc, CANCEL, &env.call(cancel(&id).by(&admin)).await, 409);

    // Retry: a failed job only.
    let retry = |id: &str| at("jobs/retry", id);
    conforms(&doc, RETRY, &env.call(retry(&id).by(&admin)).await, 409);
    let failing = queued(&env, &admin, cleanup()).await;
    let running = started(&env, &failing).await;
    service::fail(&env.users.store, &running, "the table is gone", false)
        .await
        .unwrap();
    let stale = retry(&failing).header("if-match", "\"1\"");
    conforms(&doc, RETRY, &env.call(stale.by(&admin)).await, 412);
    let garbled = retry(&failing).header("if-match", "latest");
    conforms(&doc, RETRY, &env.call(garbled.by(&admin)).await, 400);
    conforms(&doc, RETRY, &env.call(retry(&failing).by(&user)).await, 403);
    conforms(&doc, RETRY, &env.call(retry(NOWHERE).by(&admin)).await, 404);
    let retried = retry(&failing).header("if-match", "\"3\"");
    let retried = env.call(retried.by(&admin)).await;
    conforms(&doc, RETRY, &retried, 200);
    assert_eq!(retried.header("etag"), Some("\"4\""));
    assert_eq!(retried.body["status"], "queued");
    assert_eq!(retried.body["attempts"], 0);
    conforms(
        &doc,
        RETRY,
        &env.call(retry(&failing).by(&admin)).await,
        409,
    );

    // Delete: any job but a running one.
    let delete = |id: &str| at("jobs/delete", id);
    let busy = queued(&env, &admin, cleanup()).await;
    started(&env, &busy).await;
    conforms(&doc, DELETE, &env.call(delete(&busy).by(&admin)).await, 409);
    let stale = delete(&id).header("if-match", "\"1\"");
    conforms(&doc, DELETE, &env.call(stale.by(&admin)).await, 412);
    let garbled = delete(&id).header("if-match", "latest");
    conforms(&doc, DELETE, &env.call(garbled.by(&admin)).await, 400);
    conforms(&doc, DELETE, &env.call(delete(&id).by(&user)).await, 403);
    let gone = delete(&id).header("if-match", "\"2\"");
    conforms(&doc, DELETE, &env.call(gone.by(&admin)).await, 204);
    conforms(&doc, DELETE, &env.call(delete(&id).by(&admin)).await, 404);
    conforms(
        &doc,
        GET,
        &env.call(at("jobs/get", &id).by(&admin)).await,
        404,
    );
    let queued_again = env.call(delete(&failing).by(&admin)).await;
    conforms(&doc, DELETE, &queued_again, 204);
}

#[tokio::test]
async fn download_answers_match_the_description() {
    let doc = document(opsflow_jobs::openapi::doc());
    let (env, admin, user) = office().await;
    let download = |id: &str| at("jobs/download", id);

    let id = queued(&env, &admin, report()).await;
    conforms(
        &doc,
        DOWNLOAD,
        &env.call(download(&id).by(&admin)).await,
        409,
    );
    let running = started(&env, &id).await;
    conforms(
        &doc,
        DOWNLOAD,
        &env.call(download(&id).by(&admin)).await,
        409,
    );
    let key = format!("reports/{id}.csv");
    let result = json!({"key": key, "format": "csv", "rows": 0, "bytes": 0, "truncated": false});
    service::complete(&env.users.store, &running, result)
        .await
        .unwrap();
    let link = env.call(download(&id).by(&admin)).await;
    conforms(&doc, DOWNLOAD, &link, 200);
    assert_eq!(link.body["key"], key.as_str());
    assert!(
        link.body["url"]
            .as_str()
            .unwrap()
            .contains("X-Amz-Signature"),
        "{}",
        link.body
    );
    let expires = link.body["expires_at"].as_str().unwrap();
    let expires = OffsetDateTime::parse(expires, &Rfc3339).unwrap();
    let left = expires - opsflow_platform::clock::now();
    assert!(
        left.whole_seconds() > 240 && left.whole_seconds() <= 300,
        "{left}"
    );

    let other = queued(&env, &admin, cleanup()).await;
    let running = started(&env, &other).await;
    service::complete(&env.users.store, &running, json!({"jobs_removed": 0}))
        .await
        .unwrap();
    let no_report = env.call(download(&other).by(&admin)).await;
    conforms(&doc, DOWNLOAD, &no_report, 409);
    for missing in [NOWHERE, "not-an-id"] {
        let reply = env.call(download(missing).by(&admin)).await;
        conforms(&doc, DOWNLOAD, &reply, 404);
    }
    conforms(
        &doc,
        DOWNLOAD,
        &env.call(download(&id).by(&user)).await,
        403,
    );
}

#[test]
fn every_schema_the_description_names_is_in_it() {
    let doc = document(opsflow_jobs::openapi::doc());
    let found = resolved_references(&doc);
    assert!(found.iter().any(|r| r.ends_with("/JobKind")));
    assert!(found.iter().any(|r| r.ends_with("/JobStatus")));
}

#[test]
fn the_named_values_are_the_domains() {
    let doc = document(opsflow_jobs::openapi::doc());
    let schemas = &doc["components"]["schemas"];
    let kinds = opsflow_jobs::domain::JobType::ALL.map(|k| k.as_str());
    assert_eq!(schemas["JobKind"]["enum"], json!(kinds));
    let statuses = opsflow_jobs::domain::JobStatus::ALL.map(|s| s.as_str());
    assert_eq!(schemas["JobStatus"]["enum"], json!(statuses));
}
