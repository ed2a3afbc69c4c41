//! Order analytics equal a recount of the orders as they are, after mixed
//! concurrent orders, moves, cancels, re-opens and deletions whose events
//! are counted in batches, a third of them twice; the listing's time range.

use crate::helpers::{Account, Call, TestEnv};
use crate::{at, move_to, order, units};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::join_all;
use opsflow_platform::clock;
use opsflow_platform::domain::Role;
use opsflow_stats::domain::date_text;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use time::Date;

fn text(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok().cloned().or_else(|| v.as_n().ok().cloned()))
        .unwrap_or_default()
}

/// The analytics of the days `first..=last` a recount of the stored
/// orders gives (every order here was placed within them).
async fn recount(env: &TestEnv, first: Date, last: Date, low_stock: i64) -> Value {
    let mut by_status: BTreeMap<String, Value> = BTreeMap::new();
    let mut by_day: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut day = first;
    while day <= last {
        by_day.insert(date_text(day), (0, 0));
        day = day.next_day().unwrap();
    }
    let (mut orders, mut revenue) = (0, 0);
    for item in env.all_items().await {
        if text(&item, "type") != "order" {
            continue;
        }
        let status = text(&item, "status");
        let total: i64 = text(&item, "total").parse().unwrap();
        let earned = if status == "cancelled" { 0 } else { total };
        let placed = by_day.get_mut(&text(&item, "created_at")[..10]).unwrap();
        *placed = (placed.0 + 1, placed.1 + earned);
        orders += 1;
        revenue += earned;
        let figures = by_status
            .entry(status)
            .or_insert_with(|| json!({"orders": 0, "revenue": 0}));
        figures["orders"] = json!(figures["orders"].as_i64().unwrap() + 1);
        figures["revenue"] = json!(figures["revenue"].as_i64().unwrap() + total);
    }
    let by_day: Vec<Value> = by_day
        .into_iter()
        .map(
            |(date, (orders, revenue))| json!({"date": date, "orders": orders, "revenue": revenue}),
        )
        .collect();
    json!({
        "from": date_text(first), "to": date_text(last),
        "orders": orders, "revenue": revenue,
        "by_status": by_status,
        "by_day": by_day,
        "low_stock": low_stock,
    })
}

/// Counts every outbox event as the stats aggregator would: in batches of
/// ten at once, and a third of the batches again.
async fn count_events(env: &TestEnv) {
    let store = env.owned_app().store;
    let events = env.events().await;
    let batches: Vec<&[Value]> = events.chunks(10).collect();
    let counted = join_all(
        batches
            .iter()
            .chain(batches.iter().step_by(3))
            .map(|batch| opsflow_stats::service::count_all(&store, batch)),
    )
    .await;
    for outcome in counted.into_iter().flatten() {
        outcome.unwrap();
    }
}

async fn analytics(env: &TestEnv, who: &Account, query: &[(&str, &str)]) -> crate::helpers::Reply {
    env.call(Call::new("orders/analytics").query(query).by(who))
        .await
}

async fn sku(env: &TestEnv, admin: &Account, sku: &str, quantity: i64, threshold: i64) {
    let body = json!({"sku": sku, "name": sku, "unit_price": 1250, "quantity": quantity, "low_stock_threshold": threshold});
    let reply = env
        .call(Call::new("inventory/create").by(admin).body(body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

#[tokio::test]
async fn the_analytics_equal_a_recount_after_mixed_concurrent_changes_and_redeliveries() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let names: Vec<String> = (0..3).map(|n| format!("buyer{n}")).collect();
    let buyers = join_all(names.iter().map(|name| env.account(name, Role::User))).await;
    // Three SKUs: the first two end low on stock (the cancels give some
    // of their units back), the third never goes low.
    sku(&env, &admin, "AN-1", 30, 25).await;
    sku(&env, &admin, "AN-2", 40, 36).await;
    sku(&env, &admin, "AN-3", 500, 5).await;
    let skus = ["AN-1", "AN-2", "AN-3"];
    // The days the orders are placed on (two, should a run cross midnight).
    let first = clock::now().date();
    let (env_ref, buyers_ref) = (&env, &buyers);
    let placed = join_all((0..45).map(|n| {
        let lines = [(skus[n % 3], 1 + (n % 2) as i64)];
        async move { order(env_ref, &buyers_ref[n % 3], &lines).await }
    }))
    .await;
    let ids: Vec<String> = placed
        .iter()
        .map(|reply| {
            assert_eq!(reply.status, 201, "{}", reply.body);
            reply.body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    // At once: a third cancelled, a third moved on (some delivered), over
    // every SKU.
    let moves = ids.iter().enumerate().map(|(n, id)| {
        let admin = &admin;
        let env = &env;
        async move {
            match (n / 3) % 3 {
                0 => assert_eq!(move_to(env, admin, id, "cancelled").await.status, 200),
                1 => {
                    assert_eq!(move_to(env, admin, id, "processing").await.status, 200);
                    if n % 2 == 1 {
                        assert_eq!(move_to(env, admin, id, "shipped").await.status, 200);
                        assert_eq!(move_to(env, admin, id, "delivered").await.status, 200);
                    }
                }
                _ => {}
            }
        }
    });
    join_all(moves).await;
    // Some cancelled ones re-opened, some deleted.
    let cancelled: Vec<&String> = ids
        .iter()
        .enumerate()
        .filter(|(n, _)| (n / 3) % 3 == 0)
        .map(|(_, id)| id)
        .collect();
    for id in cancelled.iter().take(3) {
        assert_eq!(move_to(&env, &admin, id, "pending").await.status, 200);
    }
    for id in cancelled.iter().skip(3).take(3) {
        let delete = at("orders/delete", id).by(&admin);
        assert_eq!(env.call(delete).await.status, 204);
    }

    // AN-2 restocked above its threshold: off the low-stock list.
    let restock = Call::new("inventory/adjust")
        .path_params(&[("sku", "AN-2")])
        .by(&admin)
        .body(json!({"delta": 30, "reason": "Restocked"}));
    assert_eq!(env.call(restock).await.status, 200);

    count_events(&env).await;
    let low = env.call(Call::new("inventory/low-stock").by(&admin)).await;
    let low = low.body["items"].as_array().unwrap().len() as i64;
    assert_eq!(units(&env, &admin, "AN-1").await, 14);
    assert_eq!(low, 1, "AN-1 alone");
    assert_eq!(
        env.events_of_type("inventory.low_stock_cleared")
            .await
            .len(),
        1
    );
    let last = clock::now().date();
    let (from, to) = (date_text(first), date_text(last));
    let reply = analytics(&env, &admin, &[("from", &from), ("to", &to)]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, recount(&env, first, last, low).await);
    assert_eq!(reply.body["orders"], 42);
    let today = to;
    // The default range is the 30 days up to today.
    let default = analytics(&env, &admin, &[]).await;
    assert_eq!(default.body["by_day"].as_array().unwrap().len(), 30);
    assert_eq!(default.body["to"], today.as_str());
    assert_eq!(default.body["orders"], 42);
}

#[tokio::test]
async fn analytics_are_an_admins_and_refuse_a_bad_range_naming_the_parameter() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    assert_eq!(analytics(&env, &user, &[]).await.status, 403);
    let empty = analytics(
        &env,
        &admin,
        &[("from", "2026-01-01"), ("to", "2026-01-02")],
    )
    .await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert_eq!(empty.body["orders"], 0);
    assert_eq!(empty.body["by_status"], json!({}));
    assert_eq!(
        empty.body["by_day"][1],
        json!({"date": "2026-01-02", "orders": 0, "revenue": 0})
    );
    for (query, status, field) in [
        (vec![("from", "2026-13-01")], 400, "from"),
        (vec![("to", "yesterday")], 400, "to"),
        (
            vec![("from", "2026-02-01"), ("to", "2026-01-01")],
            422,
            "from",
        ),
        (
            vec![("from", "2024-12-31"), ("to", "2026-01-01")],
            422,
            "from",
        ),
        (vec![("since", "2026-01-01")], 400, "since"),
    ] {
        let reply = analytics(&env, &admin, &query).await;
        assert_eq!(reply.status, status, "{query:?}");
        assert!(reply.body.to_string().contains(field), "{}", reply.body);
    }
    // 366 days, both ends included, is the longest range.
    let year = analytics(
        &env,
        &admin,
        &[("from", "2025-01-01"), ("to", "2026-01-01")],
    )
    .await;
    assert_eq!(year.status, 200);
    assert_eq!(year.body["by_day"].as_array().unwrap().len(), 366);
}

#[tokio::test]
async fn the_listing_keeps_the_orders_placed_within_from_and_to() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    crate::stock(&env, &admin, "WHEN-1", 100, 100).await;
    let mut placed = Vec::new();
    for _ in 0..3 {
        let reply = order(&env, &buyer, &[("WHEN-1", 1)]).await;
        placed.push((
            reply.body["id"].as_str().unwrap().to_owned(),
            reply.body["created_at"].as_str().unwrap().to_owned(),
        ));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let listed = |query: Vec<(&'static str, String)>, who: &'static str| {
        let env = &env;
        let caller = if who == "admin" { &admin } else { &buyer };
        async move {
            let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let reply = env
                .call(Call::new("orders/list").query(&pairs).by(caller))
                .await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            reply.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let (first, second, third) = (&placed[0], &placed[1], &placed[2]);
    // Both ends included, to the millisecond of `created_at`.
    let middle = listed(
        vec![("from", second.1.clone()), ("to", second.1.clone())],
        "buyer",
    )
    .await;
    assert_eq!(middle, [second.0.as_str()]);
    let since = listed(vec![("from", second.1.clone())], "admin").await;
    assert_eq!(since, [third.0.as_str(), second.0.as_str()]);
    let until = listed(
        vec![("to", second.1.clone()), ("limit", "1".into())],
        "admin",
    )
    .await;
    assert_eq!(until, [second.0.as_str()]);
    let before = listed(
        vec![("to", first.1.clone()), ("status", "pending".into())],
        "buyer",
    )
    .await;
    assert_eq!(before, [first.0.as_str()]);
    let none = listed(
        vec![
            ("from", "2001-01-01T00:00:00Z".into()),
            ("to", "2001-12-31T00:00:00Z".into()),
        ],
        "admin",
    )
    .await;
    assert!(none.is_empty());

    for (query, status) in [
        (vec![("from", "soon")], 400),
        (
            vec![
                ("from", "2026-02-01T00:00:00Z"),
                ("to", "2026-01-01T00:00:00Z"),
            ],
            422,
        ),
    ] {
        let reply = env
            .call(Call::new("orders/list").query(&query).by(&admin))
            .await;
        assert_eq!(reply.status, status, "{}", reply.body);
        assert!(reply.body.to_string().contains("from"), "{}", reply.body);
    }
}

#[cfg(feature = "openapi")]
#[tokio::test]
async fn analytics_and_the_listing_by_time_answer_as_described() {
    use opsflow_platform::testkit::contract::{assert_conforms, document};
    let doc = document(opsflow_orders::openapi::doc());
    let check = |route: &str, reply: &crate::helpers::Reply, status: u16| {
        assert_eq!(reply.status, status, "{route}: {}", reply.body);
        assert_conforms(&doc, route, reply);
    };
    const ANALYTICS: &str = "GET /api/v1/orders/analytics";
    const LIST: &str = "GET /api/v1/orders";
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    crate::stock(&env, &admin, "DOC-1", 10, 100).await;
    order(&env, &user, &[("DOC-1", 2)]).await;
    count_events(&env).await;

    let reply = analytics(&env, &admin, &[]).await;
    check(ANALYTICS, &reply, 200);
    assert_eq!(reply.body["revenue"], 200);
    check(ANALYTICS, &analytics(&env, &user, &[]).await, 403);
    check(
        ANALYTICS,
        &analytics(&env, &admin, &[("to", "12/04/2026")]).await,
        400,
    );
    check(
        ANALYTICS,
        &analytics(&env, &admin, &[("days", "7")]).await,
        400,
    );
    let reversed = [("from", "2026-12-04"), ("to", "2026-12-01")];
    check(ANALYTICS, &analytics(&env, &admin, &reversed).await, 422);

    let list = |query: &[(&str, &str)]| Call::new("orders/list").query(query).by(&user);
    let since = env.call(list(&[("from", "2026-01-01T00:00:00Z")])).await;
    check(LIST, &since, 200);
    assert_eq!(since.body["items"].as_array().unwrap().len(), 1);
    check(LIST, &env.call(list(&[("to", "tomorrow")])).await, 400);
    let reversed = [
        ("from", "2026-02-01T00:00:00Z"),
        ("to", "2026-01-01T00:00:00Z"),
    ];
    check(LIST, &env.call(list(&reversed)).await, 422);
    let beyond = [("from", "9999-12-31T23:59:59-01:00")];
    check(LIST, &env.call(list(&beyond)).await, 422);
}
