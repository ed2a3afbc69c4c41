//! The `audit-logs` function answers what its OpenAPI description
//! (`opsflow_audit::openapi`) documents: for each route, real replies,
//! successes and refusals, have a documented status, media type and body.
//! Records are written by the real audit writer into a table of the test's
//! own.

use crate::helpers::{delete_table_now, fixture, Call, Reply};
use aws_lambda_events::event::sqs::SqsEvent;
use opsflow_audit::api::audit_logs::{handle, AuditLogs};
use opsflow_audit::pipeline::audit_writer;
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::store::Store;
use opsflow_platform::testkit::contract::{assert_conforms, document};
use serde_json::{json, Value};

const LIST: &str = "GET /api/v1/auditLogs";
const CREATE: &str = "POST /api/v1/auditLogs";

/// Sends `call` to `audit-logs` and checks the reply against `route`.
async fn sent(app: &AuditLogs, doc: &Value, route: &str, call: Call) -> Reply {
    let reply = Reply::from(handle(app, call.request()).await);
    assert_conforms(doc, route, &reply);
    reply
}

#[tokio::test]
async fn audit_logs_answers_as_documented() {
    let env = crate::env().await;
    let doc = document(opsflow_audit::openapi::doc());
    let (app, table) = env.audit_logs_app().await;
    let writer = Store::new(
        aws_sdk_dynamodb::Client::new(&crate::helpers::sdk_config().await),
        &table,
    );
    let app = AuditLogs::new(app).unwrap();
    let admin = env.account("admin", Role::Admin).await;
    let ann = env.account("ann", Role::User).await;

    let create = |body: Value| Call::new("audit-logs/create").by(&ann).body(body);
    let entry = json!({"action": "report.exported", "entity": "client_report",
        "entity_id": "monthly-2026-11", "details": {"format": "csv", "rows": [1, 2.5, null]}});
    let accepted = sent(&app, &doc, CREATE, create(entry)).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let about_admin = json!({"action": "viewed", "entity": "user", "entity_id": admin.id});
    assert_eq!(
        sent(&app, &doc, CREATE, create(about_admin)).await.status,
        404
    );
    let bad_action = json!({"action": "viewed!", "entity": "client_x", "entity_id": "1"});
    assert_eq!(
        sent(&app, &doc, CREATE, create(bad_action)).await.status,
        422
    );
    let unknown = json!({"action": "viewed", "entity": "client_x", "entity_id": "1", "at": 1});
    assert_eq!(sent(&app, &doc, CREATE, create(unknown)).await.status, 400);
    let anonymous = Call::new("audit-logs/create").token(None);
    assert_eq!(sent(&app, &doc, CREATE, anonymous).await.status, 401);
    let text = Call::new("audit-logs/create")
        .by(&ann)
        .header("content-type", "text/plain")
        .raw_body("{}");
    assert_eq!(sent(&app, &doc, CREATE, text).await.status, 415);
    let keyed = || {
        let entry =
            json!({"action": "report.printed", "entity": "client_report", "entity_id": "r1"});
        create(entry).header("idempotency-key", "print-1")
    };
    assert_eq!(sent(&app, &doc, CREATE, keyed()).await.status, 202);
    let replayed = sent(&app, &doc, CREATE, keyed()).await;
    assert_eq!(replayed.status, 202, "{}", replayed.body);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));

    // Every event so far (registrations, logins, the entry) becomes a record.
    let mut batch: SqsEvent = serde_json::from_value(fixture("audit-writer/sqs")).unwrap();
    let template = batch.records[0].clone();
    batch.records = env
        .events()
        .await
        .into_iter()
        .map(|event| {
            let mut message = template.clone();
            message.message_id = Some(EntityId::new().to_string());
            message.body = Some(event.to_string());
            message
        })
        .collect();
    for chunk in batch.records.chunks(10) {
        let mut part = batch.clone();
        part.records = chunk.to_vec();
        let written = audit_writer::write_batch(&writer, &part).await;
        assert!(written.batch_item_failures.is_empty());
    }

    let list = |by, query: &[(&str, &str)]| Call::new("audit-logs/list").by(by).query(query);
    let everything = sent(&app, &doc, LIST, list(&admin, &[("limit", "100")])).await;
    assert_eq!(everything.status, 200, "{}", everything.body);
    let items = everything.body["items"].as_array().unwrap();
    assert!(
        items.iter().any(|item| item["source"] == "client"),
        "{}",
        everything.body
    );
    assert!(
        items.iter().any(|item| item["source"] == "platform"),
        "{}",
        everything.body
    );
    let mine = sent(&app, &doc, LIST, list(&ann, &[("limit", "1")])).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert!(mine.body["next_cursor"].is_string(), "{}", mine.body);

    let others = list(&ann, &[("user_id", &admin.id)]);
    assert_eq!(sent(&app, &doc, LIST, others).await.status, 403);
    let hidden = list(&ann, &[("entity", "user"), ("entity_id", &admin.id)]);
    assert_eq!(sent(&app, &doc, LIST, hidden).await.status, 404);
    let reversed = list(
        &admin,
        &[
            ("from", "2026-11-22T10:00:00Z"),
            ("to", "2026-11-22T09:00:00Z"),
        ],
    );
    assert_eq!(sent(&app, &doc, LIST, reversed).await.status, 422);
    let unreadable = list(&admin, &[("from", "yesterday")]);
    assert_eq!(sent(&app, &doc, LIST, unreadable).await.status, 400);
    let anonymous = Call::new("audit-logs/list").token(None);
    assert_eq!(sent(&app, &doc, LIST, anonymous).await.status, 401);
    delete_table_now(table);
}
