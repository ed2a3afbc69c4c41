//! The audit log over HTTP: `GET /api/v1/auditLogs` lists records newest first
//! with every filter and time window, page by page; admins see everything,
//! others their own actions and the entities they may see; `POST
//! /api/v1/auditLogs` records a client's action through the outbox and the audit
//! writer; nothing changes or deletes a record. Records are written by the
//! real audit writer into a table of the test's own.

use crate::helpers::{fixture, item_type, page_column, Account, Call, Reply, TestEnv};
use aws_lambda_events::event::sqs::SqsEvent;
use opsflow_audit::api::audit_logs::AuditLogs;
use opsflow_audit::pipeline::audit_writer;
use opsflow_audit::store::audit::{AuditRecord, AuditSource, MAX_ROUND_TRIPS};
use opsflow_platform::clock;
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::events::{Actor, Envelope};
use opsflow_platform::store::Store;
use serde_json::{json, Value};
use std::collections::HashSet;
use time::{Duration, OffsetDateTime};

/// A query string, as pairs.
type Query<'a> = Vec<(&'a str, &'a str)>;
/// Which written events a listing should return.
type Keep<'a> = Box<dyn Fn(&Envelope) -> bool + 'a>;

/// The test environment plus the audit table, the `audit-logs` app that
/// reads it and the writer's view of it.
pub(crate) struct AuditEnv {
    pub(crate) env: TestEnv,
    app: AuditLogs,
    writer: Store,
    audit_table: String,
}

impl AuditEnv {
    /// A fresh environment with an admin and Ann, a user.
    pub(crate) async fn with_admin_and_ann() -> (Self, Account, Account) {
        let audit = Self::new().await;
        let admin = audit.env.account("admin", Role::Admin).await;
        let ann = audit.env.account("ann", Role::User).await;
        (audit, admin, ann)
    }

    pub(crate) async fn new() -> Self {
        let env = crate::env().await;
        let (app, audit_table) = env.audit_logs_app().await;
        let client = aws_sdk_dynamodb::Client::new(&crate::helpers::sdk_config().await);
        Self {
            env,
            app: AuditLogs::new(app).unwrap(),
            writer: Store::new(client, &audit_table),
            audit_table,
        }
    }

    /// Sends a request to the `audit-logs` function.
    pub(crate) async fn call(&self, call: Call) -> Reply {
        Reply::from(opsflow_audit::api::audit_logs::handle(&self.app, call.request()).await)
    }

    pub(crate) async fn list(&self, token: &str, query: &[(&str, &str)]) -> Reply {
        self.call(Call::new("audit-logs/list").token(Some(token)).query(query))
            .await
    }

    /// The ids of every record of a listing, following its cursors.
    async fn all_pages(&self, token: &str, query: &[(&str, &str)], limit: usize) -> Vec<String> {
        let limit = limit.to_string();
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..100 {
            let mut pairs: Vec<(&str, &str)> = query.to_vec();
            pairs.push(("limit", &limit));
            if let Some(cursor) = &cursor {
                pairs.push(("cursor", cursor));
            }
            let page = self.list(token, &pairs).await;
            assert_eq!(page.status, 200, "{}", page.body);
            ids.extend(item_ids(&page));
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return ids,
            }
        }
        panic!("the listing never ended");
    }

    /// Delivers envelopes to the audit writer as one SQS batch.
    async fn deliver(&self, envelopes: &[Envelope]) {
        let mut batch: SqsEvent =
            serde_json::from_value(fixture("audit-writer/sqs")).expect("an SQS event");
        let template = batch.records[0].clone();
        batch.records = envelopes
            .iter()
            .map(|envelope| {
                let mut message = template.clone();
                message.message_id = Some(EntityId::new().to_string());
                message.body = Some(serde_json::to_string(envelope).expect("JSON"));
                message
            })
            .collect();
        for chunk in batch.records.chunks(10) {
            let mut part = batch.clone();
            part.records = chunk.to_vec();
            let response = audit_writer::write_batch(&self.writer, &part).await;
            assert!(response.batch_item_failures.is_empty());
        }
    }

    /// Delivers the events committed to the entity table's outbox so far.
    pub(crate) async fn deliver_committed(&self) -> Vec<Envelope> {
        let envelopes: Vec<Envelope> = self
            .env
            .events()
            .await
            .into_iter()
            .map(|e| serde_json::from_value(e).expect("an envelope"))
            .collect();
        self.deliver(&envelopes).await;
        envelopes
    }
}

impl Drop for AuditEnv {
    fn drop(&mut self) {
        crate::helpers::delete_table_now(self.audit_table.clone());
    }
}

pub(crate) fn item_ids(reply: &Reply) -> Vec<String> {
    page_column(&reply.body, "id")
}

fn actor(account: &Account) -> Actor {
    Actor {
        id: account.id.clone(),
        role: account.role.to_string(),
    }
}

/// An event about `entity`/`entity_id` by `actor`, at `at`.
fn event(
    action: &str,
    entity: &str,
    entity_id: &str,
    actor: Actor,
    at: OffsetDateTime,
) -> Envelope {
    let mut envelope = Envelope::new(action, entity, entity_id, actor, "corr-test", Value::Null)
        .change("note", Value::Null, action);
    envelope.occurred_at = at;
    envelope
}

/// The ids of the envelopes that `keep` selects, newest first (the log's
/// order: time, then event id).
fn newest_first(envelopes: &[Envelope], keep: impl Fn(&Envelope) -> bool) -> Vec<String> {
    let mut kept: Vec<&Envelope> = envelopes.iter().filter(|e| keep(e)).collect();
    kept.sort_by_key(|e| (clock::sortable(e.occurred_at), e.id.to_string()));
    kept.reverse();
    kept.iter().map(|e| e.id.to_string()).collect()
}

fn text(at: OffsetDateTime) -> String {
    clock::sortable(at)
}

/// A varied log within the last few days: two users' and an admin's
/// actions on users, workflows and orders.
async fn varied_log(audit: &AuditEnv, admin: &Account, ann: &Account) -> Vec<Envelope> {
    let now = clock::now();
    let hours = |h: i64| now - Duration::hours(h);
    let order = EntityId::new().to_string();
    let workflow = EntityId::new().to_string();
    let envelopes = vec![
        event("user.registered", "user", &ann.id, actor(ann), hours(70)),
        event(
            "user.role_changed",
            "user",
            &ann.id,
            actor(admin),
            hours(60),
        ),
        event(
            "workflow.created",
            "workflow",
            &workflow,
            actor(admin),
            hours(50),
        ),
        event("order.placed", "order", &order, actor(ann), hours(40)),
        event(
            "workflow.updated",
            "workflow",
            &workflow,
            actor(ann),
            hours(30),
        ),
        event(
            "order.placed",
            "order",
            &EntityId::new().to_string(),
            actor(admin),
            hours(20),
        ),
        event("order.cancelled", "order", &order, actor(ann), hours(10)),
        event("user.updated", "user", &admin.id, actor(admin), hours(1)),
    ];
    audit.deliver(&envelopes).await;
    envelopes
}

#[tokio::test]
async fn admins_list_every_record_newest_first_with_each_filter() {
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    let log = varied_log(&audit, &admin, &ann).await;
    let order = log[3].entity_id.clone();
    let token = admin.tokens.access.as_str();

    let cases: Vec<(Query, Keep)> = vec![
        (vec![], Box::new(|_| true)),
        (
            vec![("entity", "order"), ("entity_id", order.as_str())],
            Box::new(|e| e.entity == "order" && e.entity_id == order),
        ),
        (
            vec![("user_id", ann.id.as_str())],
            Box::new(|e| e.actor.id == ann.id),
        ),
        (
            vec![("action", "order.placed")],
            Box::new(|e| e.event_type == "order.placed"),
        ),
        (
            vec![("entity", "workflow")],
            Box::new(|e| e.entity == "workflow"),
        ),
        (
            vec![("user_id", ann.id.as_str()), ("entity", "order")],
            Box::new(|e| e.actor.id == ann.id && e.entity == "order"),
        ),
        (
            vec![("action", "order.placed"), ("user_id", admin.id.as_str())],
            Box::new(|e| e.event_type == "order.placed" && e.actor.id == admin.id),
        ),
        (
            vec![
                ("entity", "user"),
                ("entity_id", ann.id.as_str()),
                ("user_id", admin.id.as_str()),
            ],
            Box::new(|e| e.entity_id == ann.id && e.actor.id == admin.id),
        ),
        (vec![("action", "no.such_action")], Box::new(|_| false)),
    ];
    for (query, keep) in cases {
        let reply = audit.list(token, &query).await;
        assert_eq!(reply.status, 200, "{query:?}: {}", reply.body);
        assert_eq!(item_ids(&reply), newest_first(&log, keep), "{query:?}");
        assert!(reply.body["next_cursor"].is_null(), "{query:?}");
    }

    let all = audit.list(token, &[]).await;
    let newest = &all.body["items"][0];
    let written = &log[7];
    assert_eq!(newest["id"], json!(written.id.to_string()));
    assert_eq!(newest["entity"], "user");
    assert_eq!(newest["entity_id"], json!(admin.id));
    assert_eq!(newest["action"], "user.updated");
    assert_eq!(newest["user_id"], json!(admin.id));
    assert_eq!(newest["user_role"], "admin");
    assert_eq!(newest["details"], json!({"note": [null, "user.updated"]}));
    assert_eq!(newest["timestamp"], json!(text(written.occurred_at)));
    assert_eq!(newest["correlation_id"], "corr-test");
    assert_eq!(newest["source"], "platform");
    let fields: HashSet<&str> = newest
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        HashSet::from([
            "id",
            "entity",
            "entity_id",
            "action",
            "user_id",
            "user_role",
            "details",
            "timestamp",
            "correlation_id",
            "source"
        ])
    );
}

#[tokio::test]
async fn from_and_to_bound_every_listing_inclusively() {
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    let log = varied_log(&audit, &admin, &ann).await;
    let from = log[2].occurred_at;
    let to = log[6].occurred_at;
    let (from_text, to_text) = (text(from), text(to));
    let within = |e: &Envelope| e.occurred_at >= from && e.occurred_at <= to;
    for key in [
        vec![],
        vec![("user_id", ann.id.as_str())],
        vec![("entity", "order")],
        vec![("action", "order.placed")],
    ] {
        let mut query = key.clone();
        query.extend([("from", from_text.as_str()), ("to", to_text.as_str())]);
        let reply = audit.list(&admin.tokens.access, &query).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let expected = newest_first(&log, |e| {
            within(e)
                && key.iter().all(|(name, value)| match *name {
                    "user_id" => e.actor.id == *value,
                    "entity" => e.entity == *value,
                    "action" => e.event_type == *value,
                    _ => unreachable!(),
                })
        });
        assert!(!expected.is_empty());
        assert_eq!(item_ids(&reply), expected, "{query:?}");
    }
    let only_from = audit
        .list(&admin.tokens.access, &[("from", to_text.as_str())])
        .await;
    assert_eq!(
        item_ids(&only_from),
        newest_first(&log, |e| e.occurred_at >= to)
    );
    let only_to = audit
        .list(
            &admin.tokens.access,
            &[("user_id", ann.id.as_str()), ("to", from_text.as_str())],
        )
        .await;
    assert_eq!(
        item_ids(&only_to),
        newest_first(&log, |e| e.actor.id == ann.id && e.occurred_at <= from)
    );
}

#[tokio::test]
async fn without_a_key_filter_the_last_thirty_days_are_listed_unless_from_says_otherwise() {
    let audit = AuditEnv::new().await;
    let admin = audit.env.account("admin", Role::Admin).await;
    let now = clock::now();
    let days = |d: i64| now - Duration::days(d);
    let log: Vec<Envelope> = [0, 2, 29, 31, 45]
        .into_iter()
        .map(|d| event("order.placed", "order", "o-1", actor(&admin), days(d)))
        .collect();
    audit.deliver(&log).await;
    let token = admin.tokens.access.as_str();

    let recent = audit.list(token, &[]).await;
    assert_eq!(
        item_ids(&recent),
        newest_first(&log, |e| e.occurred_at > now - Duration::days(30))
    );
    let from = text(days(40));
    let wider = audit.list(token, &[("from", from.as_str())]).await;
    assert_eq!(
        item_ids(&wider),
        newest_first(&log, |e| e.occurred_at >= days(40))
    );
    // The same window through a key filter is not limited to 30 days.
    let by_entity = audit
        .list(token, &[("entity", "order"), ("entity_id", "o-1")])
        .await;
    assert_eq!(item_ids(&by_entity), newest_first(&log, |_| true));
}

#[tokio::test]
async fn pages_return_every_record_exactly_once_across_days_and_filters() {
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    let now = clock::now();
    // Several records a day over five days; Ann's cancellations are
    // scattered between other records, so filtered pages must read on.
    let mut log = Vec::new();
    for day in 0..5 {
        for slot in 0..4 {
            let at = now - Duration::days(day) - Duration::minutes(slot * 7 + 1);
            let (who, action) = match (day + slot) % 3 {
                0 => (&ann, "order.cancelled"),
                1 => (&ann, "order.placed"),
                _ => (&admin, "order.cancelled"),
            };
            log.push(event(action, "order", "o-7", actor(who), at));
        }
    }
    audit.deliver(&log).await;
    let token = admin.tokens.access.as_str();

    for limit in [1, 3, 7] {
        let everything = audit.all_pages(token, &[], limit).await;
        assert_eq!(everything, newest_first(&log, |_| true), "limit {limit}");
    }
    let filtered = audit
        .all_pages(
            token,
            &[("user_id", ann.id.as_str()), ("action", "order.cancelled")],
            2,
        )
        .await;
    let expected = newest_first(&log, |e| {
        e.actor.id == ann.id && e.event_type == "order.cancelled"
    });
    assert!(expected.len() > 2);
    assert_eq!(filtered, expected);
    let unique: HashSet<&String> = filtered.iter().collect();
    assert_eq!(unique.len(), filtered.len());

    let first = audit.list(token, &[("limit", "5")]).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 5);
    assert!(first.body["next_cursor"].is_string());
}

#[tokio::test]
async fn a_long_quiet_window_is_walked_across_pages_without_losing_records() {
    let audit = AuditEnv::new().await;
    let admin = audit.env.account("admin", Role::Admin).await;
    let now = clock::now();
    let span = i64::try_from(MAX_ROUND_TRIPS).unwrap() + 20;
    let log: Vec<Envelope> = [1, span - 5]
        .into_iter()
        .map(|d| {
            let at = now - Duration::days(d);
            event("order.placed", "order", "o-1", actor(&admin), at)
        })
        .collect();
    audit.deliver(&log).await;
    let from = text(now - Duration::days(span));
    let ids = audit
        .all_pages(&admin.tokens.access, &[("from", from.as_str())], 25)
        .await;
    assert_eq!(ids, newest_first(&log, |_| true));
}

#[tokio::test]
async fn a_cursor_only_continues_the_listing_that_issued_it() {
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    varied_log(&audit, &admin, &ann).await;
    let token = admin.tokens.access.as_str();
    let first = audit
        .list(token, &[("user_id", ann.id.as_str()), ("limit", "1")])
        .await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();

    let same = audit
        .list(
            token,
            &[
                ("user_id", ann.id.as_str()),
                ("limit", "1"),
                ("cursor", &cursor),
            ],
        )
        .await;
    assert_eq!(same.status, 200, "{}", same.body);
    assert_ne!(item_ids(&same), item_ids(&first));

    let other_filters: Vec<Vec<(&str, &str)>> = vec![
        vec![("user_id", admin.id.as_str())],
        vec![("action", "order.placed")],
        vec![],
        vec![("user_id", ann.id.as_str()), ("action", "order.placed")],
        vec![("user_id", ann.id.as_str()), ("to", "2099-01-01T00:00:00Z")],
    ];
    for mut query in other_filters {
        query.push(("cursor", &cursor));
        audit
            .list(token, &query)
            .await
            .assert_problem(400, "cursor");
    }
}

#[tokio::test]
async fn users_list_their_own_actions_and_no_one_else_s() {
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    let log = varied_log(&audit, &admin, &ann).await;
    let token = ann.tokens.access.as_str();
    let own = newest_first(&log, |e| e.actor.id == ann.id);
    assert!(!own.is_empty());

    assert_eq!(item_ids(&audit.list(token, &[]).await), own);
    let explicit = audit.list(token, &[("user_id", ann.id.as_str())]).await;
    assert_eq!(item_ids(&explicit), own);
    let own_action = audit
        .list(
            token,
            &[("user_id", ann.id.as_str()), ("action", "order.cancelled")],
        )
        .await;
    assert_eq!(
        item_ids(&own_action),
        newest_first(&log, |e| e.actor.id == ann.id
            && e.event_type == "order.cancelled")
    );
    let others = audit.list(token, &[("user_id", admin.id.as_str())]).await;
    assert_eq!(others.status, 403, "{}", others.body);
}

#[tokio::test]
async fn users_cannot_list_a_whole_kind_of_entity_or_an_action_across_users() {
    let audit = AuditEnv::new().await;
    let admin = audit.env.account("admin", Role::Admin).await;
    let approver = audit.env.account("approver", Role::Approver).await;
    varied_log(&audit, &admin, &approver).await;
    for query in [
        vec![("entity", "order")],
        vec![("entity", "user")],
        vec![("action", "order.placed")],
        vec![("action", "order.placed"), ("entity", "order")],
    ] {
        let reply = audit.list(&approver.tokens.access, &query).await;
        assert_eq!(reply.status, 403, "{query:?}: {}", reply.body);
    }
}

#[tokio::test]
async fn users_see_the_records_of_what_they_may_see_and_404_for_the_rest() {
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    let bob = audit.env.account("bob", Role::User).await;
    let workflow = |name: &str| json!({"name": name, "steps": [{"approver_role": "approver", "required_approvals": 1}]});
    let create = |name: &str| {
        Call::new("workflows/create")
            .by(&admin)
            .body(workflow(name))
    };
    let active = audit.env.call(create("Purchases")).await.body["id"].clone();
    let draft = audit.env.call(create("Travel")).await.body["id"].clone();
    let activated = audit
        .env
        .call(
            Call::new("workflows/patch")
                .resource_id("workflows", active.as_str().unwrap())
                .by(&admin)
                .body(json!({"status": "ACTIVE"})),
        )
        .await;
    assert_eq!(activated.status, 200, "{}", activated.body);
    // The platform's own events, as committed, through the writer.
    let committed = audit.deliver_committed().await;
    let token = ann.tokens.access.as_str();
    let about = |entity: &'static str, id: &str| {
        let id = id.to_owned();
        move |e: &Envelope| e.entity == entity && e.entity_id == id
    };

    let active_id = active.as_str().unwrap();
    let seen = audit
        .list(token, &[("entity", "workflow"), ("entity_id", active_id)])
        .await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    let actions = page_column(&seen.body, "action");
    assert_eq!(actions, ["workflow.activated", "workflow.created"]);
    assert_eq!(
        item_ids(&seen),
        newest_first(&committed, about("workflow", active_id))
    );

    let self_records = audit
        .list(token, &[("entity", "user"), ("entity_id", ann.id.as_str())])
        .await;
    assert_eq!(
        item_ids(&self_records),
        newest_first(&committed, about("user", &ann.id))
    );
    assert!(!item_ids(&self_records).is_empty());

    let draft_id = draft.as_str().unwrap();
    let missing = EntityId::new().to_string();
    for (entity, id) in [
        ("workflow", draft_id),
        ("workflow", missing.as_str()),
        ("workflow", "not-a-uuid"),
        ("user", bob.id.as_str()),
        ("order", "o-1"),
    ] {
        let hidden = audit
            .list(token, &[("entity", entity), ("entity_id", id)])
            .await;
        assert_eq!(hidden.status, 404, "{entity} {id}: {}", hidden.body);
    }
    // Admins see the draft's records too.
    let admin_view = audit
        .list(
            &admin.tokens.access,
            &[("entity", "workflow"), ("entity_id", draft_id)],
        )
        .await;
    assert_eq!(
        item_ids(&admin_view),
        newest_first(&committed, about("workflow", draft_id))
    );
    assert!(!item_ids(&admin_view).is_empty());
}

#[tokio::test]
async fn a_client_entry_reaches_the_log_as_a_client_record_of_its_sender() {
    let audit = AuditEnv::new().await;
    let ann = audit.env.account("ann", Role::User).await;
    let admin = audit.env.account("admin", Role::Admin).await;
    let accepted = audit
        .call(
            Call::new("audit-logs/create")
                .by(&ann)
                .header("x-correlation-id", "export-42"),
        )
        .await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    assert_eq!(accepted.body["status"], "accepted");
    let id = accepted.body["id"].as_str().unwrap().to_owned();
    let sent: Value =
        serde_json::from_str(fixture("audit-logs/create")["body"].as_str().unwrap()).unwrap();

    let committed = audit.deliver_committed().await;
    let event = committed
        .iter()
        .find(|e| e.id.to_string() == id)
        .expect("the entry is an outbox event");
    assert_eq!(event.event_type, "client.report.exported");
    assert_eq!(event.actor, actor(&ann));

    let mine = audit.list(&ann.tokens.access, &[]).await;
    let record = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == json!(id))
        .unwrap_or_else(|| panic!("the entry is in the log: {}", mine.body))
        .clone();
    assert_eq!(record["source"], "client");
    assert_eq!(record["action"], "client.report.exported");
    assert_eq!(record["user_id"], json!(ann.id));
    assert_eq!(record["user_role"], "user");
    assert_eq!(record["entity"], sent["entity"]);
    assert_eq!(record["entity_id"], sent["entity_id"]);
    assert_eq!(record["details"], sent["details"]);
    assert_eq!(record["correlation_id"], "export-42");

    let by_action = audit
        .list(
            &admin.tokens.access,
            &[("action", "client.report.exported")],
        )
        .await;
    assert_eq!(item_ids(&by_action), [id]);
}

#[tokio::test]
async fn a_retried_client_entry_is_recorded_once() {
    let audit = AuditEnv::new().await;
    let ann = audit.env.account("ann", Role::User).await;
    let send = || {
        audit.call(
            Call::new("audit-logs/create")
                .by(&ann)
                .header("idempotency-key", "export-1"),
        )
    };
    let first = send().await;
    let retry = send().await;
    assert_eq!((first.status, retry.status), (202, 202));
    assert_eq!(retry.body["id"], first.body["id"]);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    let client_events = audit.env.events_of_type("client.report.exported").await;
    assert_eq!(client_events.len(), 1);
}

#[tokio::test]
async fn bad_client_entries_name_each_bad_field_and_write_nothing() {
    let audit = AuditEnv::new().await;
    let ann = audit.env.account("ann", Role::User).await;
    let before = audit.stored_items().await;
    let good = json!({"action": "report.exported", "entity": "client_report", "entity_id": "r-1"});
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let big = "x".repeat(9 * 1024);
    let cases: Vec<(Value, u16, Vec<&str>)> = vec![
        (
            with("action", json!("Report Exported")),
            422,
            vec!["action"],
        ),
        (with("action", json!("a".repeat(65))), 422, vec!["action"]),
        (with("action", json!("")), 422, vec!["action"]),
        (with("entity", json!("report#1")), 422, vec!["entity"]),
        (with("entity", json!("r".repeat(33))), 422, vec!["entity"]),
        (with("entity_id", json!("")), 422, vec!["entity_id"]),
        (
            with("entity_id", json!("x".repeat(129))),
            422,
            vec!["entity_id"],
        ),
        (
            with("entity_id", json!("line\nbreak")),
            422,
            vec!["entity_id"],
        ),
        (with("details", json!({"blob": big})), 422, vec!["details"]),
        (
            with("details", json!(["not", "an", "object"])),
            400,
            vec!["details"],
        ),
        (with("action", json!(7)), 400, vec!["action"]),
        (with("source", json!("platform")), 400, vec!["source"]),
        (with("user_id", json!("someone-else")), 400, vec!["user_id"]),
        (
            json!({"entity": "report", "entity_id": "r-1"}),
            422,
            vec!["action"],
        ),
        (
            json!({"action": "Bad-1", "entity": "Bad", "entity_id": ""}),
            422,
            vec!["action", "entity", "entity_id"],
        ),
    ];
    for (body, status, fields) in cases {
        let reply = audit
            .call(Call::new("audit-logs/create").by(&ann).body(body.clone()))
            .await;
        for field in fields {
            reply.assert_problem(status, field);
        }
    }
    let accepted_sizes = audit
        .call(
            Call::new("audit-logs/create")
                .by(&ann)
                .body(with("details", json!({"blob": "x".repeat(8 * 1024 - 20)}))),
        )
        .await;
    assert_eq!(accepted_sizes.status, 202, "{}", accepted_sizes.body);
    assert_eq!(audit.stored_items().await, before + 1);
}

#[tokio::test]
async fn audit_records_cannot_be_changed_or_deleted_through_the_api() {
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    let log = varied_log(&audit, &admin, &ann).await;
    let token = admin.tokens.access.as_str();
    let before = audit.list(token, &[]).await.body;
    let events_before = audit.env.events().await.len();
    let target = log[0].id.to_string();
    for route in [
        "PATCH /api/v1/auditLogs/{id}",
        "DELETE /api/v1/auditLogs/{id}",
        "PUT /api/v1/auditLogs/{id}",
        "DELETE /api/v1/auditLogs",
        "PATCH /api/v1/auditLogs",
        "PUT /api/v1/auditLogs",
    ] {
        let mut call = Call::new("audit-logs/create")
            .token(Some(token))
            .route(route)
            .body(json!({"action": "tampered"}));
        if route.ends_with("{id}") {
            call = call.resource_id("auditLogs", &target);
        }
        let reply = audit.call(call).await;
        assert!(
            [404, 405].contains(&reply.status),
            "{route}: {} {}",
            reply.status,
            reply.body
        );
    }
    assert_eq!(audit.list(token, &[]).await.body, before);
    assert_eq!(audit.env.events().await.len(), events_before);
}

#[tokio::test]
async fn bad_query_parameters_are_refused_naming_the_parameter() {
    let audit = AuditEnv::new().await;
    let admin = audit.env.account("admin", Role::Admin).await;
    let token = admin.tokens.access.as_str();
    let cases: Vec<(Query, u16, &str)> = vec![
        (vec![("actor", "u-1")], 400, "actor"),
        (vec![("from", "yesterday")], 400, "from"),
        (vec![("to", "2026-11-22")], 400, "to"),
        (vec![("to", "2026-11-22T09:15:02")], 400, "to"),
        (
            vec![
                ("from", "2026-11-22T09:15:03Z"),
                ("to", "2026-11-22T09:15:02Z"),
            ],
            422,
            "from",
        ),
        (vec![("limit", "0")], 422, "limit"),
        (vec![("limit", "101")], 422, "limit"),
        (vec![("limit", "ten")], 400, "limit"),
        (vec![("entity", "Order")], 422, "entity"),
        (vec![("entity_id", "o-1")], 422, "entity_id"),
        (
            vec![("entity", "order"), ("entity_id", "")],
            422,
            "entity_id",
        ),
        (vec![("action", "order-placed")], 422, "action"),
        (vec![("user_id", "")], 422, "user_id"),
        (vec![("cursor", "not-a-cursor")], 400, "cursor"),
        (vec![("entity", "order"), ("entity", "user")], 400, "entity"),
        // Valid RFC 3339, but past the year 9999 (or before the year 1) in UTC.
        (vec![("to", "9999-12-31T23:59:59-01:00")], 422, "to"),
        (vec![("from", "9999-12-31T23:59:59-00:01")], 422, "from"),
        (vec![("from", "0000-12-31T23:59:59Z")], 422, "from"),
        (vec![("to", "0001-01-01T00:59:59+01:00")], 422, "to"),
    ];
    for (query, status, field) in cases {
        let reply = audit.list(token, &query).await;
        assert_eq!(reply.status, status, "{query:?}: {}", reply.body);
        reply.assert_problem(status, field);
    }
    // The ends of the range are fine, with a key filter or without.
    for query in [
        vec![("to", "9999-12-31T23:59:59.999Z")],
        vec![("from", "9999-12-31T23:59:59Z")],
        vec![("to", "0001-01-01T00:00:00Z")],
        vec![
            ("from", "0001-01-01T00:00:00Z"),
            ("to", "0001-01-31T00:00:00Z"),
        ],
        vec![("user_id", "system"), ("to", "9999-12-31T23:59:59+00:00")],
    ] {
        let reply = audit.list(token, &query).await;
        assert_eq!(reply.status, 200, "{query:?}: {}", reply.body);
    }
    // Offsets are understood, `+` encoded or not: 10:00+01:00 is 09:00Z.
    for from in ["2026-11-22T10:00:00%2B01:00", "2026-11-22T10:00:00+01:00"] {
        let equal = audit
            .list(token, &[("from", from), ("to", "2026-11-22T09:00:00Z")])
            .await;
        assert_eq!(equal.status, 200, "{from}: {}", equal.body);
    }
    audit
        .list(
            token,
            &[
                ("from", "2026-11-22T10:00:01+01:00"),
                ("to", "2026-11-22T09:00:00Z"),
            ],
        )
        .await
        .assert_problem(422, "from");
}

#[tokio::test]
async fn the_audit_log_needs_a_signed_in_caller() {
    let audit = AuditEnv::new().await;
    let list = audit.call(Call::new("audit-logs/list").token(None)).await;
    assert_eq!(list.status, 401);
    let before = audit.env.all_items().await.len();
    let post = audit
        .call(Call::new("audit-logs/create").token(Some("not.a.token")))
        .await;
    assert_eq!(post.status, 401);
    assert_eq!(audit.env.all_items().await.len(), before);
}

#[tokio::test]
async fn the_records_of_an_approval_are_visible_to_whoever_may_see_the_approval() {
    let audit = AuditEnv::new().await;
    let admin = audit.env.account("admin", Role::Admin).await;
    let requester = audit.env.account("requester", Role::User).await;
    let approver = audit.env.account("approver", Role::Approver).await;
    let outsider = audit.env.account("outsider", Role::User).await;
    let (_, id) = audit.filed_approval(&admin, &requester).await;
    let decided = audit
        .env
        .call(
            Call::new("approvals/patch")
                .resource_id("approvals", &id)
                .by(&approver)
                .body(json!({"status": "APPROVED"})),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    let committed = audit.deliver_committed().await;
    let expected = newest_first(&committed, |e| e.entity == "approval" && e.entity_id == id);
    assert_eq!(expected.len(), 2);

    let query = [("entity", "approval"), ("entity_id", id.as_str())];
    for who in [&requester, &approver, &admin] {
        let seen = audit.list(&who.tokens.access, &query).await;
        assert_eq!(seen.status, 200, "{}", seen.body);
        assert_eq!(item_ids(&seen), expected);
    }
    let hidden = audit.list(&outsider.tokens.access, &query).await;
    assert_eq!(hidden.status, 404, "{}", hidden.body);
}

/// A client entry about `entity`/`entity_id`.
fn entry(entity: &str, entity_id: &str, details: Value) -> Value {
    json!({"action": "report.exported", "entity": entity, "entity_id": entity_id, "details": details})
}

/// `levels` objects, one inside the other: `{"in": {"in": … 1}}`.
fn nested(levels: usize) -> Value {
    (0..levels).fold(json!(1), |inner, _| json!({ "in": inner }))
}

impl AuditEnv {
    /// How many items the entity table holds, leaving out the rate
    /// counters every entry bumps, valid or not.
    async fn stored_items(&self) -> usize {
        let items = self.env.all_items().await;
        let counted = items
            .iter()
            .filter(|item| item_type(item) != Some("rate_counter"));
        counted.count()
    }

    async fn post(&self, who: &Account, body: Value) -> Reply {
        let call = Call::new("audit-logs/create").by(who);
        self.call(call.body(body)).await
    }

    /// How many client events the outbox holds.
    async fn client_events(&self) -> usize {
        let events = self.env.events().await;
        events
            .iter()
            .filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("client.")))
            .count()
    }

    /// A request `requester` filed in an active workflow of `admin`'s.
    async fn filed_approval(&self, admin: &Account, requester: &Account) -> (String, String) {
        let workflow = self.env.active_workflow(admin, "Purchases").await;
        let id = self.env.file_approval(requester, &workflow, "Desk").await;
        (workflow, id)
    }
}

#[tokio::test]
async fn users_record_client_actions_only_about_what_they_may_see() {
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    let bob = audit.env.account("bob", Role::User).await;
    let (workflow, bobs_request) = audit.filed_approval(&admin, &bob).await;
    let before = audit.client_events().await;

    let unknown_workflow = EntityId::new().to_string();
    for (entity, id) in [
        ("user", bob.id.as_str()),
        ("approval", bobs_request.as_str()),
        ("workflow", unknown_workflow.as_str()),
        ("order", "o-1"),
    ] {
        let refused = audit.post(&ann, entry(entity, id, json!({}))).await;
        assert_eq!(refused.status, 404, "{entity} {id}: {}", refused.body);
    }
    assert_eq!(audit.client_events().await, before);

    for (who, entity, id) in [
        (&ann, "user", ann.id.as_str()),
        (&ann, "workflow", workflow.as_str()),
        (&ann, "client_report", "monthly-2026-11"),
        (&bob, "approval", bobs_request.as_str()),
        (&admin, "user", bob.id.as_str()),
        (&admin, "order", "o-1"),
    ] {
        let accepted = audit.post(who, entry(entity, id, json!({}))).await;
        assert_eq!(accepted.status, 202, "{entity} {id}: {}", accepted.body);
    }
    assert_eq!(audit.client_events().await, before + 6);
}

#[tokio::test]
async fn client_entries_are_limited_per_caller_and_the_limit_says_when_to_retry() {
    let audit = AuditEnv::new().await;
    let ann = audit.env.account("ann", Role::User).await;
    let bob = audit.env.account("bob", Role::User).await;
    // The limit counts per minute: start early in one, so that all the
    // entries fall in the same minute.
    let second = clock::now().second();
    if second > 40 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
    }
    let limit = opsflow_audit::api::audit_logs::ENTRIES_PER_MINUTE;
    for n in 0..limit {
        let accepted = audit
            .post(&ann, entry("client_report", &format!("r-{n}"), json!({})))
            .await;
        assert_eq!(accepted.status, 202, "entry {n}: {}", accepted.body);
    }

    let refused = audit
        .post(&ann, entry("client_report", "one-too-many", json!({})))
        .await;

    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.body["status"], 429);
    let retry_after: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(audit.client_events().await, limit as usize);
    let others = audit
        .post(&bob, entry("client_report", "r-1", json!({})))
        .await;
    assert_eq!(others.status, 202, "{}", others.body);
}

#[tokio::test]
async fn details_too_deep_are_refused_at_the_edge_naming_the_field() {
    let audit = AuditEnv::new().await;
    let ann = audit.env.account("ann", Role::User).await;
    let before = audit.client_events().await;
    for levels in [16, 39] {
        let refused = audit
            .post(
                &ann,
                entry("client_report", "r-1", json!({"deep": nested(levels)})),
            )
            .await;
        refused.assert_problem(422, "details");
    }
    assert_eq!(audit.client_events().await, before);
}

#[tokio::test]
async fn any_details_that_pass_the_edge_are_recorded_and_read_back_as_sent() {
    let (audit, admin, ann) = AuditEnv::with_admin_and_ann().await;
    // 16 levels (the most allowed), numbers beyond DynamoDB's range.
    let details = json!({
        "deep": nested(15),
        "huge": 1e300,
        "tiny": -1e-300,
        "list": [[[1e200]]],
    });
    let accepted = audit
        .post(&ann, entry("client_report", "r-1", details.clone()))
        .await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    // A platform event whose changes nest deeper than DynamoDB allows.
    let deep_change = event("user.updated", "user", &ann.id, actor(&admin), clock::now()).change(
        "profile",
        Value::Null,
        nested(40),
    );

    audit.deliver_committed().await;
    audit.deliver(std::slice::from_ref(&deep_change)).await;

    let mine = audit.list(&ann.tokens.access, &[]).await;
    let record = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == accepted.body["id"])
        .unwrap_or_else(|| panic!("the entry is in the log: {}", mine.body))
        .clone();
    assert_eq!(record["details"], details);
    let about_ann = audit
        .list(
            &admin.tokens.access,
            &[("entity", "user"), ("entity_id", ann.id.as_str())],
        )
        .await;
    let platform = about_ann.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == json!(deep_change.id.to_string()))
        .unwrap_or_else(|| panic!("the change is in the log: {}", about_ann.body))
        .clone();
    assert_eq!(platform["details"]["profile"], json!([null, nested(40)]));
}

#[tokio::test]
async fn records_written_with_details_as_a_map_still_read() {
    let audit = AuditEnv::new().await;
    let admin = audit.env.account("admin", Role::Admin).await;
    let envelope = event(
        "user.role_changed",
        "user",
        &admin.id,
        actor(&admin),
        clock::now(),
    );
    let record = AuditRecord::from_event(&envelope, AuditSource::Platform);
    let mut item = opsflow_platform::store::entity_item(&record).unwrap();
    item.insert(
        "details".into(),
        serde_dynamo::to_attribute_value(&record.details).unwrap(),
    );
    audit
        .writer
        .client()
        .put_item()
        .table_name(&audit.audit_table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();

    let listed = audit
        .list(
            &admin.tokens.access,
            &[("entity", "user"), ("entity_id", admin.id.as_str())],
        )
        .await;

    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.body["items"][0]["id"],
        json!(envelope.id.to_string())
    );
    assert_eq!(
        listed.body["items"][0]["details"],
        json!({"note": [null, "user.role_changed"]})
    );
}
