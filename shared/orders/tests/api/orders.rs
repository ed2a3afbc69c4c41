//! Orders as clients see them: priced by the server, moved only along the
//! status map by whom it allows, stock given back on cancel and taken
//! again on re-open, every change on the timeline; bad input names its
//! fields and writes nothing.

use crate::helpers::{Account, Call, TestEnv};
use crate::{at, move_to, order, stock, units};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

const STATUSES: [&str; 5] = ["pending", "processing", "shipped", "delivered", "cancelled"];

/// The moves that lead from `pending` to `status`.
fn path_to(status: &str) -> &'static [&'static str] {
    match status {
        "processing" => &["processing"],
        "shipped" => &["processing", "shipped"],
        "delivered" => &["processing", "shipped", "delivered"],
        "cancelled" => &["cancelled"],
        _ => &[],
    }
}

async fn placed(env: &TestEnv, who: &Account, lines: &[(&str, i64)]) -> Value {
    let reply = order(env, who, lines).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

#[tokio::test]
async fn an_order_is_priced_by_the_server_and_its_stock_taken() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    stock(&env, &admin, "DESK-120", 10, 45_000).await;
    stock(&env, &admin, "CABLE-1", 100, 1_500).await;
    let created = placed(&env, &buyer, &[("desk-120", 2), ("CABLE-1", 4)]).await;
    assert_eq!(created["status"], "pending");
    assert_eq!(created["user_id"], buyer.id.as_str());
    assert_eq!(
        created["items"][0],
        json!({"sku": "DESK-120", "name": "Thing DESK-120", "quantity": 2, "unit_price": 45000, "line_total": 90000})
    );
    assert_eq!(created["total"], 96_000);
    assert_eq!(units(&env, &admin, "DESK-120").await, 8);
    assert_eq!(units(&env, &admin, "CABLE-1").await, 96);
    let event = &env.events_of_type("order.created").await[0];
    assert_eq!(event["data"]["total"], 96_000);
    assert_eq!(event["changes"]["status"], json!([null, "pending"]));
    // A price sent by the client is refused, not used.
    let priced = env
        .call(
            Call::new("orders/create")
                .by(&buyer)
                .body(json!({"items": [{"sku": "CABLE-1", "quantity": 1, "unit_price": 1}]})),
        )
        .await;
    assert_eq!(priced.status, 400);
}

#[tokio::test]
async fn every_move_from_every_status_is_allowed_or_refused_as_the_map_says() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    stock(&env, &admin, "MAP-1", 1_000, 100).await;
    let legal = [
        ("pending", "processing"),
        ("pending", "cancelled"),
        ("processing", "shipped"),
        ("processing", "cancelled"),
        ("shipped", "delivered"),
        ("shipped", "cancelled"),
        ("cancelled", "pending"),
    ];
    for from in STATUSES {
        for to in STATUSES.iter().filter(|to| **to != from) {
            let id = placed(&env, &buyer, &[("MAP-1", 1)]).await["id"]
                .as_str()
                .unwrap()
                .to_owned();
            for step in path_to(from) {
                assert_eq!(move_to(&env, &admin, &id, step).await.status, 200);
            }
            let reply = move_to(&env, &admin, &id, to).await;
            if legal.contains(&(from, *to)) {
                assert_eq!(reply.status, 200, "{from} → {to}: {}", reply.body);
                assert_eq!(reply.body["status"], *to);
            } else {
                assert_eq!(reply.status, 409, "{from} → {to}: {}", reply.body);
                let detail = reply.body["detail"].as_str().unwrap();
                assert!(detail.contains(from), "{from} → {to}: {detail}");
            }
        }
    }
    // Every unit the live orders hold, and no other, is gone from stock.
    let (listed, held) = live_units(&env, &admin).await;
    assert!(listed > 0);
    assert_eq!(units(&env, &admin, "MAP-1").await, 1_000 - held);
}

/// How many orders there are, and the units the live ones hold.
async fn live_units(env: &TestEnv, admin: &Account) -> (usize, i64) {
    let mut cursor: Option<String> = None;
    let (mut count, mut held) = (0, 0);
    loop {
        let mut query = vec![("limit", "100")];
        if let Some(c) = &cursor {
            query.push(("cursor", c.as_str()));
        }
        let page = env
            .call(Call::new("orders/list").by(admin).query(&query))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        for order in page.body["items"].as_array().unwrap() {
            count += 1;
            if order["status"] != "cancelled" {
                held += order["items"][0]["quantity"].as_i64().unwrap();
            }
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (count, held),
        }
    }
}

#[tokio::test]
async fn cancelling_restocks_and_reopening_takes_the_stock_again_or_is_refused() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    let other = env.account("other", Role::User).await;
    stock(&env, &admin, "LAMP-1", 5, 2_500).await;
    let first = placed(&env, &buyer, &[("LAMP-1", 4)]).await;
    let id = first["id"].as_str().unwrap();
    assert_eq!(units(&env, &admin, "LAMP-1").await, 1);
    // The owner cancels their own pending order; the stock comes back.
    assert_eq!(move_to(&env, &buyer, id, "cancelled").await.status, 200);
    assert_eq!(units(&env, &admin, "LAMP-1").await, 5);
    // Re-opened by an admin: the stock is taken again.
    assert_eq!(move_to(&env, &admin, id, "pending").await.status, 200);
    assert_eq!(units(&env, &admin, "LAMP-1").await, 1);
    // Cancelled again, its units sold meanwhile: re-opening is refused.
    assert_eq!(move_to(&env, &admin, id, "cancelled").await.status, 200);
    placed(&env, &other, &[("LAMP-1", 3)]).await;
    let reopen = move_to(&env, &admin, id, "pending").await;
    assert_eq!(reopen.status, 409, "{}", reopen.body);
    assert!(reopen.body["detail"].as_str().unwrap().contains("LAMP-1"));
    assert_eq!(units(&env, &admin, "LAMP-1").await, 2);
    // The owner may not move it on, nor re-open it; another user sees nothing.
    let second = placed(&env, &buyer, &[("LAMP-1", 1)]).await;
    let second = second["id"].as_str().unwrap();
    assert_eq!(
        move_to(&env, &buyer, second, "processing").await.status,
        403
    );
    assert_eq!(move_to(&env, &other, second, "cancelled").await.status, 404);
    assert_eq!(
        env.call(at("orders/get", second).by(&other)).await.status,
        404
    );
}

#[tokio::test]
async fn the_timeline_lists_every_change_in_order_with_its_actor() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    stock(&env, &admin, "BOOK-1", 10, 1_200).await;
    let id = placed(&env, &buyer, &[("BOOK-1", 1)]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    move_to(&env, &admin, &id, "processing").await;
    let noted = env
        .call(
            at("orders/patch", &id)
                .by(&buyer)
                .body(json!({"notes": "Leave at reception"})),
        )
        .await;
    assert_eq!(noted.status, 200, "{}", noted.body);
    move_to(&env, &admin, &id, "shipped").await;
    let timeline = env.call(at("orders/timeline", &id).by(&buyer)).await;
    assert_eq!(timeline.status, 200, "{}", timeline.body);
    let entries = timeline.body["items"].as_array().unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["created", "status_changed", "updated", "status_changed"]
    );
    assert_eq!(entries[0]["changes"]["status"], json!([null, "pending"]));
    assert_eq!(
        entries[1]["changes"]["status"],
        json!(["pending", "processing"])
    );
    assert_eq!(entries[1]["actor"]["role"], "admin");
    assert_eq!(
        entries[2]["changes"]["notes"],
        json!(["", "Leave at reception"])
    );
    assert_eq!(entries[2]["actor"]["id"], buyer.id.as_str());
    assert_eq!(
        entries[3]["changes"]["status"],
        json!(["processing", "shipped"])
    );
    // In time order (compared as times: RFC 3339 texts drop trailing zeros
    // of their fractions, so `…53.8Z` is later than `…53.75Z`).
    let at_times: Vec<time::OffsetDateTime> = entries
        .iter()
        .map(|e| {
            let at = e["at"].as_str().unwrap();
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap()
        })
        .collect();
    assert!(at_times.windows(2).all(|w| w[0] <= w[1]), "{at_times:?}");
    // Each entry is the change's event, which the audit log has too.
    let changed = env.events_of_type("order.status_changed").await;
    assert_eq!(changed.len(), 2);
    assert!(changed.iter().any(|e| e["id"] == entries[1]["event_id"]));
}

#[tokio::test]
async fn bad_input_names_each_field_and_writes_nothing() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    stock(&env, &admin, "OK-1", 10, 100).await;
    let many: Vec<Value> = (0..26)
        .map(|n| json!({"sku": format!("S-{n}"), "quantity": 1}))
        .collect();
    let cases = [
        (json!({"items": []}), vec!["items"]),
        (json!({"items": many}), vec!["items"]),
        (
            json!({"items": [{"sku": "OK-1", "quantity": 0}]}),
            vec!["items[0].quantity"],
        ),
        (
            json!({"items": [{"sku": "OK-1", "quantity": -2}]}),
            vec!["items[0].quantity"],
        ),
        (
            json!({"items": [{"sku": "OK-1", "quantity": 1}, {"sku": "ok-1", "quantity": 2}]}),
            vec!["items[1].sku"],
        ),
        (
            json!({"items": [{"sku": "OK-1", "quantity": 1}, {"sku": "NOPE-9", "quantity": 1}]}),
            vec!["items[1].sku"],
        ),
        (
            json!({"items": [{"sku": "!", "quantity": 1}]}),
            vec!["items[0].sku"],
        ),
    ];
    for (body, fields) in cases {
        let reply = env
            .call(Call::new("orders/create").by(&buyer).body(body.clone()))
            .await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        let named: Vec<&str> = reply.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, fields, "{body}");
    }
    let unknown = env
        .call(
            Call::new("orders/create")
                .by(&buyer)
                .body(json!({"items": [], "coupon": "X"})),
        )
        .await;
    assert_eq!(unknown.status, 400);
    assert!(env.events_of_type("order.created").await.is_empty());
    assert_eq!(units(&env, &admin, "OK-1").await, 10);
    let bad_filter = env
        .call(
            Call::new("orders/list")
                .by(&buyer)
                .query(&[("status", "lost")]),
        )
        .await;
    assert_eq!(bad_filter.status, 422);
}

#[tokio::test]
async fn only_a_cancelled_or_delivered_order_is_deleted_with_its_timeline() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    stock(&env, &admin, "GONE-1", 10, 100).await;
    let id = placed(&env, &buyer, &[("GONE-1", 2)]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pending = env.call(at("orders/delete", &id).by(&admin)).await;
    assert_eq!(pending.status, 409, "{}", pending.body);
    assert!(pending.body["detail"].as_str().unwrap().contains("pending"));
    assert_eq!(move_to(&env, &admin, &id, "cancelled").await.status, 200);
    assert_eq!(
        env.call(at("orders/delete", &id).by(&buyer)).await.status,
        403
    );
    let stale = env
        .call(
            at("orders/delete", &id)
                .by(&admin)
                .header("if-match", "\"1\""),
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(
        env.call(at("orders/delete", &id).by(&admin)).await.status,
        204
    );
    assert_eq!(env.call(at("orders/get", &id).by(&admin)).await.status, 404);
    assert_eq!(
        env.call(at("orders/timeline", &id).by(&admin)).await.status,
        404
    );
    let deleted = env.events_of_type("order.deleted").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["changes"]["status"], json!(["cancelled", null]));
    // Its stock came back when it was cancelled, and stays.
    assert_eq!(units(&env, &admin, "GONE-1").await, 10);
    use opsflow_orders::store::OrderStore;
    let id = opsflow_platform::domain::EntityId::parse(&id).unwrap();
    let left = env.users.store.timeline(&id).await.unwrap();
    assert!(
        left.is_empty(),
        "the timeline went with the order: {left:?}"
    );
}
