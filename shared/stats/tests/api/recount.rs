//! The dashboard's counters equal a recount of the entities as they are,
//! after hundreds of mixed changes made at once and counted in batches
//! that overlap, out of order and with every event of a third of them
//! delivered twice.

use crate::helpers::{Account, Call, TestEnv};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::join_all;
use opsflow_platform::domain::Role;
use opsflow_stats::pipeline::aggregator::count_batch;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const STATUSES: [&str; 3] = ["active", "inactive", "archived"];

fn text(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

/// The dashboard a recount of the table gives: items, approvals, users.
async fn recount(env: &TestEnv) -> Value {
    let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
    let mut pending: BTreeMap<String, i64> = BTreeMap::new();
    let mut roles: BTreeMap<String, i64> = BTreeMap::new();
    let (mut items, mut active, mut users) = (0, 0, 0);
    for item in env.all_items().await {
        match text(&item, "type").as_str() {
            "item" => {
                items += 1;
                active += i64::from(text(&item, "status") == "active");
            }
            "approval" => {
                let status = text(&item, "status");
                if status == "PENDING" {
                    *pending.entry(text(&item, "workflow_id")).or_default() += 1;
                }
                *by_status.entry(status).or_default() += 1;
            }
            "user" => {
                users += 1;
                *roles.entry(text(&item, "role")).or_default() += 1;
            }
            _ => {}
        }
    }
    // Every item here was made within the last hour or two: all of them
    // were created in the last 24.
    json!({
        "items": {"total": items, "active": active, "created_last_24h": items},
        "jobs": {"by_status": {}},
        "approvals": {"by_status": by_status, "pending_by_workflow": pending},
        "users": {"total": users, "by_role": roles},
    })
}

async fn item(env: &TestEnv, who: &Account, n: usize) -> String {
    let body = json!({"name": format!("Item {n}"), "status": STATUSES[n % 3]});
    let reply = env.call(Call::new("items/create").by(who).body(body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn restatus(env: &TestEnv, who: &Account, id: &str, n: usize) {
    let call = Call::new("items/patch")
        .resource_id("api/v1/items", id)
        .by(who)
        .body(json!({"status": STATUSES[(n + 1) % 3]}));
    let reply = env.call(call).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

async fn delete(env: &TestEnv, who: &Account, id: &str) {
    let call = Call::new("items/delete")
        .resource_id("api/v1/items", id)
        .by(who);
    assert_eq!(env.call(call).await.status, 204);
}

async fn decide(env: &TestEnv, who: &Account, id: &str, status: &str) {
    let call = Call::new("approvals/patch")
        .resource_id("approvals", id)
        .by(who)
        .body(json!({"status": status}));
    let reply = env.call(call).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn the_counters_equal_a_recount_after_mixed_concurrent_changes_and_redeliveries() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let names: Vec<String> = (0..4).map(|n| format!("user{n}")).collect();
    let requesters = join_all(names.iter().map(|name| env.account(name, Role::User))).await;

    // 240 items at once, then 120 status changes and 60 deletions at once.
    let ids = join_all((0..240).map(|n| item(&env, &requesters[n % 4], n))).await;
    let changes = (0..120).map(|n| restatus(&env, &requesters[n % 4], &ids[n], n));
    let deletions = (120..180).map(|n| delete(&env, &requesters[n % 4], &ids[n]));
    futures::future::join(join_all(changes), join_all(deletions)).await;

    // 2 workflows, 60 requests at once, 30 decided or withdrawn at once.
    let workflows = [
        env.active_workflow(&admin, "Purchase").await,
        env.active_workflow(&admin, "Travel").await,
    ];
    let filed = join_all((0..60).map(|n| {
        let (who, workflow) = (&requesters[n % 4], &workflows[n % 2]);
        env.file_approval(who, workflow, "Request")
    }))
    .await;
    join_all(
        filed
            .iter()
            .take(30)
            .enumerate()
            .map(|(n, id)| match n % 3 {
                0 => decide(&env, &approver, id, "APPROVED"),
                1 => decide(&env, &approver, id, "REJECTED"),
                _ => decide(&env, &requesters[n % 4], id, "CANCELLED"),
            }),
    )
    .await;
    // A role change, as an admin makes it.
    let promote = Call::new("users/patch")
        .resource_id("users", &requesters[3].id)
        .by(&admin)
        .body(json!({"role": "approver"}));
    let promoted = env.call(promote).await;
    assert_eq!(promoted.status, 200, "{}", promoted.body);

    // Counted in batches of 10 at once, newest first, with a third of the
    // batches delivered again at the end.
    let store = env.owned_app().store;
    let mut events = env.events().await;
    assert!(events.len() > 500, "{} events", events.len());
    events.reverse();
    let batches: Vec<_> = events.chunks(10).map(crate::batch).collect();
    let counted = join_all(batches.iter().map(|b| count_batch(&store, b))).await;
    let again = join_all(batches.iter().step_by(3).map(|b| count_batch(&store, b))).await;
    for response in counted.iter().chain(&again) {
        assert!(response.batch_item_failures.is_empty());
    }

    let stats = env.call(Call::new("stats/get").by(&admin)).await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    assert_eq!(stats.body, recount(&env).await);
    assert_eq!(stats.body["items"]["total"], 180);
    assert_eq!(stats.body["approvals"]["by_status"]["PENDING"], 30);
}

#[tokio::test]
async fn a_redelivered_event_moves_nothing_and_an_unrelated_one_writes_nothing() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    item(&env, &admin, 0).await;
    crate::count_outbox(&env).await;
    let before = env.all_items().await.len();
    crate::count_outbox(&env).await;
    assert_eq!(env.all_items().await.len(), before, "a redelivery wrote");
    let stats = env.call(Call::new("stats/get").by(&admin)).await;
    assert_eq!(stats.body["items"]["total"], 1);
    assert_eq!(stats.body["users"]["total"], 1);
    assert_eq!(stats.body["users"]["by_role"], json!({"admin": 1}));

    let store = env.owned_app().store;
    let login = json!({"id": "e-1", "type": "session.login", "entity": "session", "data": {}});
    let not_json = {
        let mut batch = crate::batch(std::slice::from_ref(&login));
        batch.records[0].body = Some("not an envelope".into());
        batch
    };
    assert!(count_batch(&store, &crate::batch(&[login]))
        .await
        .batch_item_failures
        .is_empty());
    assert_eq!(
        env.all_items().await.len(),
        before,
        "an uncounted event wrote"
    );
    let refused = count_batch(&store, &not_json).await;
    assert_eq!(refused.batch_item_failures.len(), 1);
}

#[tokio::test]
async fn a_batch_mixing_new_and_redelivered_events_counts_each_new_one_once() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    for n in 0..3 {
        item(&env, &admin, n).await;
    }
    let store = env.owned_app().store;
    let first: Vec<Value> = env.events_of_type("item.created").await;
    let counted = count_batch(&store, &crate::batch(&first[..2])).await;
    assert!(counted.batch_item_failures.is_empty());
    // The second event again, beside the third and a duplicate of it.
    let mixed = [first[1].clone(), first[2].clone(), first[2].clone()];
    let counted = count_batch(&store, &crate::batch(&mixed)).await;
    assert!(counted.batch_item_failures.is_empty());
    let stats = env.call(Call::new("stats/get").by(&admin)).await;
    assert_eq!(stats.body["items"]["total"], 3, "{}", stats.body);
    // And a batch of new events alone, counted together.
    for n in 3..6 {
        item(&env, &admin, n).await;
    }
    let all = env.events_of_type("item.created").await;
    let new: Vec<Value> = all
        .into_iter()
        .filter(|e| !first.iter().any(|f| f["id"] == e["id"]))
        .collect();
    assert_eq!(new.len(), 3);
    let counted = count_batch(&store, &crate::batch(&new)).await;
    assert!(counted.batch_item_failures.is_empty());
    let stats = env.call(Call::new("stats/get").by(&admin)).await;
    assert_eq!(stats.body["items"]["total"], 6, "{}", stats.body);
    assert_eq!(stats.body["items"]["created_last_24h"], 6);
}

#[tokio::test]
async fn the_recorded_batch_counts_its_account_and_its_item() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let store = env.owned_app().store;
    let recorded: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_value(crate::helpers::fixture("stats-aggregator/sqs")).unwrap();
    for _ in 0..2 {
        let response = count_batch(&store, &recorded).await;
        assert!(response.batch_item_failures.is_empty());
    }
    // The recorded events only: the admin's own registration is in the
    // outbox, not counted here.
    let stats = env.call(Call::new("stats/get").by(&admin)).await;
    assert_eq!(stats.body["users"]["total"], 1, "{}", stats.body);
    assert_eq!(stats.body["users"]["by_role"], json!({"user": 1}));
    assert_eq!(stats.body["items"]["total"], 1);
    assert_eq!(stats.body["items"]["active"], 1);
    // Created on 2026-11-22: long out of the last 24 hours.
    assert_eq!(stats.body["items"]["created_last_24h"], 0);
}
