//! The webhooks' real answers are the ones their OpenAPI description
//! promises: for each route, a success and the errors a client meets,
//! checked for status, media type and body schema.

use crate::helpers::{page_column, Account, Call, Reply, TestEnv};
use opsflow_platform::clock;
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::testkit::contract::{assert_conforms, document};
use opsflow_webhooks::domain::delivery::{AttemptRecord, Status};
use opsflow_webhooks::domain::retry::Attempt;
use opsflow_webhooks::store::deliveries::{AttemptEntry, DeliveryRecord};
use opsflow_webhooks::store::DeliveryStore;
use serde_json::{json, Value};
use time::Duration;

/// Asserts that `reply` to `route` is one the description promises, with
/// the status the test expects.
fn conforms(doc: &Value, route: &str, reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{route}: {}", reply.body);
    assert_conforms(doc, route, reply);
}

const NOWHERE: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

const LIST: &str = "GET /api/v1/webhooks";
const CREATE: &str = "POST /api/v1/webhooks";
const GET: &str = "GET /api/v1/webhooks/{id}";
const PATCH: &str = "PATCH /api/v1/webhooks/{id}";
const DELETE: &str = "DELETE /api/v1/webhooks/{id}";
const ROTATE: &str = "POST /api/v1/webhooks/{id}/rotate-secret";
const PING: &str = "POST /api/v1/webhooks/{id}/ping";
const DELIVERIES: &str = "GET /api/v1/webhooks/{id}/deliveries";
const DELIVERY: &str = "GET /api/v1/webhooks/{id}/deliveries/{delivery_id}";
const REDELIVER: &str = "POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver";

fn subscription() -> Value {
    json!({
        "url": "https://hooks.example.com/opsflow",
        "description": "Rejections to finance",
        "events": ["approval.rejected", "order.*"],
        "topics": ["approvals.auto_approved"]
    })
}

/// A body over the 64 KiB a route reads.
fn oversized() -> Value {
    json!({"description": "d".repeat(65 * 1024)})
}

fn at(fixture: &str, id: &str) -> Call {
    Call::new(fixture).resource_id("api/v1/webhooks", id)
}

/// A route of subscription `id`'s delivery log, at `delivery` when it
/// names one.
fn log(fixture: &str, id: &str, delivery: Option<&str>) -> Call {
    let mut params = vec![("id", id)];
    params.extend(delivery.map(|delivery| ("delivery_id", delivery)));
    Call::new(fixture).path_params(&params)
}

/// Stores a delivery to subscription `id` in `status`, with an attempt
/// for each of `ended` as the dispatcher records them (a rule's notice
/// under a topic when `topic` says so); returns its id.
async fn delivery(
    env: &TestEnv,
    id: &str,
    status: Status,
    ended: &[Attempt],
    topic: Option<&str>,
) -> String {
    let now = clock::now();
    let message = EntityId::new();
    let mut payload = json!({
        "id": message,
        "event": "approval.rejected",
        "timestamp": "2026-12-03T10:00:00Z",
        "data": {"title": "Chairs"}
    });
    if let Some(topic) = topic {
        payload["topic"] = json!(topic);
    }
    let mut record = DeliveryRecord::new(
        EntityId::new(),
        EntityId::parse(id).unwrap(),
        message,
        "approval.rejected".into(),
        topic.map(str::to_owned),
        payload.to_string(),
        now,
    );
    record.status = status;
    record.attempts = ended
        .iter()
        .map(|&ended| {
            let problem = match ended {
                Attempt::Answered(_) => None,
                _ => Some("no answer within 10 s".to_owned()),
            };
            AttemptEntry::new(&AttemptRecord::new(now, ended, 120, b"busy"), problem)
        })
        .collect();
    if status == Status::Retrying {
        record.next_attempt_at = Some(now + Duration::seconds(5));
    }
    let store = env.owned_app().store;
    store.create_delivery(&record).await.unwrap();
    record.id.to_string()
}

/// An environment with an admin, a user (whom every route refuses) and a
/// subscription the admin made.
async fn office() -> (TestEnv, Account, Account, String) {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    let create = Call::new("webhooks/create").by(&admin);
    let id = env.create(create.body(subscription())).await;
    (env, admin, user, id)
}

#[tokio::test]
async fn create_and_list_answers_match_the_description() {
    let doc = document(opsflow_webhooks::openapi::doc());
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    let create = |body: Value| Call::new("webhooks/create").body(body);
    let keyed = |key: &str, body: Value| create(body).header("idempotency-key", key);

    let created = env.call(keyed("hook-1", subscription()).by(&admin)).await;
    conforms(&doc, CREATE, &created, 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let location = format!("/api/v1/webhooks/{id}");
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert!(created.body["secret"]
        .as_str()
        .unwrap()
        .starts_with("whsec_"));
    let replayed = env.call(keyed("hook-1", subscription()).by(&admin)).await;
    conforms(&doc, CREATE, &replayed, 201);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, created.body);
    let other = json!({"url": "https://hooks.example.com/other", "events": ["*"]});
    let reused = env.call(keyed("hook-1", other).by(&admin)).await;
    conforms(&doc, CREATE, &reused, 422);
    let bad_key = env
        .call(keyed("two words", subscription()).by(&admin))
        .await;
    conforms(&doc, CREATE, &bad_key, 400);

    let refused = env.call(create(subscription()).by(&user)).await;
    conforms(&doc, CREATE, &refused, 403);
    let private = json!({"url": "https://10.0.0.1/in", "events": ["*"]});
    let invalid = env.call(create(private).by(&admin)).await;
    conforms(&doc, CREATE, &invalid, 422);
    let chosen = json!({"url": "https://hooks.example.com/in", "secret": "whsec_mine"});
    let unknown = env.call(create(chosen).by(&admin)).await;
    conforms(&doc, CREATE, &unknown, 400);
    let text = create(subscription()).header("content-type", "text/plain");
    conforms(&doc, CREATE, &env.call(text.by(&admin)).await, 415);
    let large = env.call(create(oversized()).by(&admin)).await;
    conforms(&doc, CREATE, &large, 413);

    let list = |query: &[(&str, &str)]| Call::new("webhooks/list").query(query);
    let listed = env.call(list(&[("active", "true")]).by(&admin)).await;
    conforms(&doc, LIST, &listed, 200);
    assert_eq!(page_column(&listed.body, "id"), vec![id]);
    assert!(!listed.body.to_string().contains("whsec_"));
    let bogus = env.call(list(&[("active", "maybe")]).by(&admin)).await;
    conforms(&doc, LIST, &bogus, 422);
    let typo = env.call(list(&[("state", "on")]).by(&admin)).await;
    conforms(&doc, LIST, &typo, 400);
    let hidden = env.call(list(&[]).by(&user)).await;
    conforms(&doc, LIST, &hidden, 403);
}

#[tokio::test]
async fn read_change_and_delete_answers_match_the_description() {
    let doc = document(opsflow_webhooks::openapi::doc());
    let (env, admin, user, id) = office().await;

    let read = env.call(at("webhooks/get", &id).by(&admin)).await;
    conforms(&doc, GET, &read, 200);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert!(read.body.get("secret").is_none());
    let missing = env.call(at("webhooks/get", NOWHERE).by(&admin)).await;
    conforms(&doc, GET, &missing, 404);
    let hidden = env.call(at("webhooks/get", &id).by(&user)).await;
    conforms(&doc, GET, &hidden, 403);

    let patch = |id: &str, body: Value| at("webhooks/patch", id).body(body);
    let off = json!({"events": ["approval.*"], "active": false});
    let changed = env
        .call(
            patch(&id, off.clone())
                .header("if-match", "\"1\"")
                .by(&admin),
        )
        .await;
    conforms(&doc, PATCH, &changed, 200);
    assert_eq!(changed.header("etag"), Some("\"2\""));
    assert_eq!(changed.body["events"], json!(["approval.*"]));
    let stale = patch(&id, json!({"active": true})).header("if-match", "\"1\"");
    conforms(&doc, PATCH, &env.call(stale.by(&admin)).await, 412);
    let behind = patch(&id, json!({"active": true, "version": 1}));
    conforms(&doc, PATCH, &env.call(behind.by(&admin)).await, 409);
    let unknown = patch(&id, json!({"colour": "red"}));
    conforms(&doc, PATCH, &env.call(unknown.by(&admin)).await, 400);
    let invalid = patch(&id, json!({"events": ["Order.Created"]}));
    conforms(&doc, PATCH, &env.call(invalid.by(&admin)).await, 422);
    let text = patch(&id, off.clone()).header("content-type", "text/plain");
    conforms(&doc, PATCH, &env.call(text.by(&admin)).await, 415);
    let large = env.call(patch(&id, oversized()).by(&admin)).await;
    conforms(&doc, PATCH, &large, 413);
    let missing = env.call(patch(NOWHERE, off.clone()).by(&admin)).await;
    conforms(&doc, PATCH, &missing, 404);
    let refused = env.call(patch(&id, off).by(&user)).await;
    conforms(&doc, PATCH, &refused, 403);

    let delete = || at("webhooks/delete", &id);
    let stale = delete().header("if-match", "\"1\"");
    conforms(&doc, DELETE, &env.call(stale.by(&admin)).await, 412);
    let garbled = delete().header("if-match", "latest");
    conforms(&doc, DELETE, &env.call(garbled.by(&admin)).await, 400);
    conforms(&doc, DELETE, &env.call(delete().by(&user)).await, 403);
    let gone = delete().header("if-match", "\"2\"");
    conforms(&doc, DELETE, &env.call(gone.by(&admin)).await, 204);
    conforms(&doc, DELETE, &env.call(delete().by(&admin)).await, 404);
}

#[tokio::test]
async fn rotate_and_ping_answers_match_the_description() {
    let doc = document(opsflow_webhooks::openapi::doc());
    let (env, admin, user, id) = office().await;

    let rotate = |id: &str| at("webhooks/rotate-secret", id);
    let rotated = env.call(rotate(&id).by(&admin)).await;
    conforms(&doc, ROTATE, &rotated, 200);
    assert_eq!(rotated.header("etag"), Some("\"2\""));
    assert!(rotated.body["secret"]
        .as_str()
        .unwrap()
        .starts_with("whsec_"));
    assert!(rotated.body["previous_secret_expires_at"].is_string());
    let stale = rotate(&id).header("if-match", "\"1\"");
    conforms(&doc, ROTATE, &env.call(stale.by(&admin)).await, 412);
    let garbled = rotate(&id).header("if-match", "latest");
    conforms(&doc, ROTATE, &env.call(garbled.by(&admin)).await, 400);
    let missing = env.call(rotate(NOWHERE).by(&admin)).await;
    conforms(&doc, ROTATE, &missing, 404);
    conforms(&doc, ROTATE, &env.call(rotate(&id).by(&user)).await, 403);

    let ping = |id: &str| at("webhooks/ping", id);
    let pinged = env.call(ping(&id).by(&admin)).await;
    conforms(&doc, PING, &pinged, 202);
    assert_eq!(pinged.body["webhook_id"], json!(id));
    let delivery = pinged.body["delivery_id"].as_str().unwrap();
    let location = format!("/api/v1/webhooks/{id}/deliveries/{delivery}");
    assert_eq!(pinged.header("location"), Some(location.as_str()));
    let missing = env.call(ping(NOWHERE).by(&admin)).await;
    conforms(&doc, PING, &missing, 404);
    conforms(&doc, PING, &env.call(ping(&id).by(&user)).await, 403);
}

#[tokio::test]
async fn delivery_log_answers_match_the_description() {
    let doc = document(opsflow_webhooks::openapi::doc());
    let (env, admin, user, id) = office().await;
    let failed = [Attempt::Answered(503), Attempt::TimedOut];
    let failed = delivery(
        &env,
        &id,
        Status::Failed,
        &failed,
        Some("approvals.auto_approved"),
    )
    .await;
    let retrying = delivery(&env, &id, Status::Retrying, &[Attempt::Unreachable], None).await;

    let list = |id: &str, query: &[(&str, &str)]| log("webhooks/deliveries", id, None).query(query);
    let first = env.call(list(&id, &[("limit", "1")]).by(&admin)).await;
    conforms(&doc, DELIVERIES, &first, 200);
    assert_eq!(page_column(&first.body, "id"), vec![retrying.clone()]);
    assert!(first.body["items"][0]["next_attempt_at"].is_string());
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = [("limit", "1"), ("cursor", cursor.as_str())];
    let second = env.call(list(&id, &rest).by(&admin)).await;
    conforms(&doc, DELIVERIES, &second, 200);
    assert_eq!(page_column(&second.body, "id"), vec![failed.clone()]);
    let shown = &second.body["items"][0];
    assert_eq!(shown["topic"], "approvals.auto_approved");
    assert!(shown.get("payload").is_none(), "a page leaves payloads out");
    assert_eq!(shown["attempts"][0]["response_status"], 503);
    assert_eq!(shown["attempts"][1]["outcome"], "timed_out");
    let edited = format!("{cursor}x");
    let tampered = env.call(list(&id, &[("cursor", &edited)]).by(&admin)).await;
    conforms(&doc, DELIVERIES, &tampered, 400);
    let typo = env
        .call(list(&id, &[("status", "failed")]).by(&admin))
        .await;
    conforms(&doc, DELIVERIES, &typo, 400);
    let word = env.call(list(&id, &[("limit", "all")]).by(&admin)).await;
    conforms(&doc, DELIVERIES, &word, 400);
    let none = env.call(list(&id, &[("limit", "0")]).by(&admin)).await;
    conforms(&doc, DELIVERIES, &none, 422);
    let missing = env.call(list(NOWHERE, &[]).by(&admin)).await;
    conforms(&doc, DELIVERIES, &missing, 404);
    conforms(
        &doc,
        DELIVERIES,
        &env.call(list(&id, &[]).by(&user)).await,
        403,
    );

    let one = |delivery: &str| log("webhooks/delivery", &id, Some(delivery));
    let read = env.call(one(&failed).by(&admin)).await;
    conforms(&doc, DELIVERY, &read, 200);
    assert_eq!(read.body["payload"]["data"], json!({"title": "Chairs"}));
    let mut without_payload = read.body.clone();
    without_payload.as_object_mut().unwrap().remove("payload");
    assert_eq!(&without_payload, shown);
    let unknown = env.call(one(NOWHERE).by(&admin)).await;
    conforms(&doc, DELIVERY, &unknown, 404);
    let malformed = env.call(one("latest").by(&admin)).await;
    conforms(&doc, DELIVERY, &malformed, 404);
    let elsewhere = log("webhooks/delivery", NOWHERE, Some(&failed));
    conforms(&doc, DELIVERY, &env.call(elsewhere.by(&admin)).await, 404);
    conforms(&doc, DELIVERY, &env.call(one(&failed).by(&user)).await, 403);
}

#[tokio::test]
async fn redeliver_answers_match_the_description() {
    let doc = document(opsflow_webhooks::openapi::doc());
    let (env, admin, user, id) = office().await;
    let ended = [Attempt::Answered(410)];
    let failed = delivery(&env, &id, Status::Failed, &ended, None).await;
    let retrying = delivery(&env, &id, Status::Retrying, &[Attempt::TimedOut], None).await;
    let pending = delivery(&env, &id, Status::Pending, &[], None).await;

    let redeliver = |id: &str, delivery: &str| log("webhooks/redeliver", id, Some(delivery));
    let again = env.call(redeliver(&id, &failed).by(&admin)).await;
    conforms(&doc, REDELIVER, &again, 202);
    assert_eq!(again.body["webhook_id"], json!(id));
    let new = again.body["delivery_id"].as_str().unwrap();
    assert_ne!(new, failed);
    let location = format!("/api/v1/webhooks/{id}/deliveries/{new}");
    assert_eq!(again.header("location"), Some(location.as_str()));
    let made = env
        .call(log("webhooks/delivery", &id, Some(new)).by(&admin))
        .await;
    conforms(&doc, DELIVERY, &made, 200);
    assert_eq!(made.body["status"], "pending");
    assert_eq!(made.body["attempts"], json!([]));
    for busy in [&retrying, &pending] {
        let early = env.call(redeliver(&id, busy).by(&admin)).await;
        conforms(&doc, REDELIVER, &early, 409);
    }
    let unknown = env.call(redeliver(&id, NOWHERE).by(&admin)).await;
    conforms(&doc, REDELIVER, &unknown, 404);
    let missing = env.call(redeliver(NOWHERE, &failed).by(&admin)).await;
    conforms(&doc, REDELIVER, &missing, 404);
    let refused = env.call(redeliver(&id, &failed).by(&user)).await;
    conforms(&doc, REDELIVER, &refused, 403);

    let off = at("webhooks/patch", &id).body(json!({"active": false}));
    assert_eq!(env.call(off.by(&admin)).await.status, 200);
    let inactive = env.call(redeliver(&id, &failed).by(&admin)).await;
    conforms(&doc, REDELIVER, &inactive, 409);
}
