//! SKUs as clients see them: created once per code, read by everyone,
//! changed and adjusted by admins with their events; stock never below
//! zero, exactly, under concurrent adjustments; the low-stock list and
//! one `inventory.low_stock` event per downward crossing.

use crate::helpers::Call;
use crate::{at, create};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

fn desk() -> Value {
    json!({"sku": "desk-120", "name": "Standing desk", "unit_price": 45000, "quantity": 40, "low_stock_threshold": 10})
}

#[tokio::test]
async fn a_sku_is_created_once_read_by_everyone_and_changed_by_admins() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    let created = create(&env, &admin, desk()).await;
    assert_eq!(created["sku"], "DESK-120");
    assert_eq!(created["quantity"], 40);
    assert_eq!(created["unit_price"], 45000);
    assert_eq!(created["low_stock"], false);
    assert_eq!(created["version"], 1);

    let again = env
        .call(
            Call::new("inventory/create")
                .by(&admin)
                .body(json!({"sku": "DESK-120", "name": "Other", "unit_price": 1})),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body["detail"].as_str().unwrap().contains("DESK-120"));

    let read = env.call(at("inventory/get", "desk-120").by(&user)).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created);
    assert_eq!(
        env.call(at("inventory/get", "NOPE-1").by(&user))
            .await
            .status,
        404
    );
    assert_eq!(
        env.call(at("inventory/get", "not a sku").by(&user))
            .await
            .status,
        404
    );

    let changed = env
        .call(
            at("inventory/patch", "DESK-120")
                .by(&admin)
                .body(json!({"unit_price": 42000, "name": "Standing desk, 120 cm"})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["version"], 2);
    let updated = env.events_of_type("inventory.updated").await;
    assert_eq!(updated[0]["changes"]["unit_price"], json!([45000, 42000]));
    let stale = env
        .call(
            at("inventory/patch", "DESK-120")
                .by(&admin)
                .body(json!({"unit_price": 1, "version": 1})),
        )
        .await;
    assert_eq!(stale.status, 409);
    assert_eq!(env.events_of_type("inventory.created").await.len(), 1);
}

#[tokio::test]
async fn stock_moves_with_its_reason_and_never_below_zero() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    create(&env, &admin, desk()).await;
    let adjust = |delta: i64, reason: &str| {
        at("inventory/adjust", "DESK-120")
            .by(&admin)
            .body(json!({"delta": delta, "reason": reason}))
    };
    let out = env.call(adjust(-15, "Shipped to the Lyon office")).await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert_eq!(out.body["quantity"], 25);
    let short = env.call(adjust(-26, "Too many")).await;
    assert_eq!(short.status, 409);
    assert!(
        short.body["detail"].as_str().unwrap().contains("1 more"),
        "{}",
        short.body
    );
    let adjusted = env.events_of_type("inventory.adjusted").await;
    assert_eq!(adjusted.len(), 1);
    assert_eq!(adjusted[0]["changes"]["quantity"], json!([40, 25]));
    assert_eq!(adjusted[0]["data"]["reason"], "Shipped to the Lyon office");
    assert_eq!(adjusted[0]["data"]["delta"], -15);
    let unknown = env
        .call(
            at("inventory/adjust", "NOPE-1")
                .by(&admin)
                .body(json!({"delta": 1, "reason": "x"})),
        )
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn concurrent_adjustments_are_exact() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    create(
        &env,
        &admin,
        json!({"sku": "CABLE-1", "name": "Cable", "unit_price": 500, "quantity": 30}),
    )
    .await;
    // 40 removals of one unit race for 30 units.
    let calls = (0..40).map(|n| {
        env.call(
            at("inventory/adjust", "CABLE-1")
                .by(&admin)
                .body(json!({"delta": -1, "reason": format!("pick {n}")})),
        )
    });
    let replies = futures::future::join_all(calls).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let ok = statuses.iter().filter(|s| **s == 200).count() as i64;
    // Every removal that was answered 200 was applied once, and no other.
    let after = env.call(at("inventory/get", "CABLE-1").by(&admin)).await;
    assert_eq!(
        after.body["quantity"].as_i64(),
        Some(30 - ok),
        "{statuses:?}"
    );
    assert_eq!(
        env.events_of_type("inventory.adjusted").await.len() as i64,
        ok
    );
    assert!(ok >= 10, "most racing adjustments apply: {statuses:?}");
    // What is left is taken one by one, then refused.
    for _ in 0..(30 - ok) {
        let reply = env
            .call(
                at("inventory/adjust", "CABLE-1")
                    .by(&admin)
                    .body(json!({"delta": -1, "reason": "last"})),
            )
            .await;
        assert_eq!(reply.status, 200);
    }
    let empty = env
        .call(
            at("inventory/adjust", "CABLE-1")
                .by(&admin)
                .body(json!({"delta": -1, "reason": "none left"})),
        )
        .await;
    assert_eq!(empty.status, 409);
    assert_eq!(
        env.call(at("inventory/get", "CABLE-1").by(&admin))
            .await
            .body["quantity"],
        0
    );
}

#[tokio::test]
async fn low_stock_is_listed_by_key_and_each_downward_crossing_is_one_event() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    create(&env, &admin, desk()).await;
    create(
        &env,
        &admin,
        json!({"sku": "CHAIR-1", "name": "Chair", "unit_price": 9900, "quantity": 3}),
    )
    .await;
    // Created below its threshold (20): low from the start.
    assert_eq!(low_stock(&env, &admin).await, ["CHAIR-1"]);
    assert_eq!(env.events_of_type("inventory.low_stock").await.len(), 1);

    let adjust = |delta: i64| {
        at("inventory/adjust", "DESK-120")
            .by(&admin)
            .body(json!({"delta": delta, "reason": "count"}))
    };
    assert_eq!(
        env.call(adjust(-30)).await.body["quantity"],
        10,
        "10 is not below 10"
    );
    assert_eq!(env.events_of_type("inventory.low_stock").await.len(), 1);
    assert_eq!(env.call(adjust(-1)).await.body["low_stock"], true);
    assert_eq!(env.call(adjust(-1)).await.status, 200);
    assert_eq!(low_stock(&env, &admin).await, ["CHAIR-1", "DESK-120"]);
    assert_eq!(
        env.events_of_type("inventory.low_stock").await.len(),
        2,
        "one per crossing"
    );
    assert!(env
        .events_of_type("inventory.low_stock_cleared")
        .await
        .is_empty());
    env.call(adjust(20)).await;
    assert_eq!(low_stock(&env, &admin).await, ["CHAIR-1"]);
    let cleared = env.events_of_type("inventory.low_stock_cleared").await;
    assert_eq!(cleared.len(), 1, "off the list once");
    assert_eq!(cleared[0]["entity_id"], "DESK-120");
    env.call(adjust(1)).await;
    assert_eq!(
        env.events_of_type("inventory.low_stock_cleared")
            .await
            .len(),
        1,
        "not again while it stays above"
    );
    env.call(adjust(-21)).await;
    assert_eq!(
        env.events_of_type("inventory.low_stock").await.len(),
        3,
        "a second crossing"
    );
    // Raising the threshold over the stock is a crossing too.
    let raised = env
        .call(
            at("inventory/patch", "CHAIR-1")
                .by(&admin)
                .body(json!({"low_stock_threshold": 50})),
        )
        .await;
    assert_eq!(raised.status, 200);
    assert_eq!(
        env.events_of_type("inventory.low_stock").await.len(),
        3,
        "CHAIR-1 was low already"
    );
}

#[tokio::test]
async fn bad_input_names_each_field_and_writes_nothing() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let cases = [
        (
            json!({"sku": "a", "name": "x", "unit_price": 1}),
            vec!["sku"],
        ),
        (
            json!({"sku": "OK-1", "name": " ", "unit_price": -1, "quantity": -2, "low_stock_threshold": -3}),
            vec!["name", "unit_price", "quantity", "low_stock_threshold"],
        ),
    ];
    for (body, fields) in cases {
        let reply = env
            .call(Call::new("inventory/create").by(&admin).body(body.clone()))
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
            Call::new("inventory/create")
                .by(&admin)
                .body(json!({"sku": "OK-1", "name": "x", "unit_price": 1, "colour": "red"})),
        )
        .await;
    assert_eq!(unknown.status, 400);
    let fractional = env
        .call(
            Call::new("inventory/create")
                .by(&admin)
                .body(json!({"sku": "OK-1", "name": "x", "unit_price": 1.5})),
        )
        .await;
    assert_eq!(fractional.status, 400, "a price is whole minor units");
    assert!(env.events().await.iter().all(|e| e["entity"] != "sku"));

    create(&env, &admin, desk()).await;
    for (body, field) in [
        (json!({"delta": 0, "reason": "x"}), "delta"),
        (json!({"delta": 1, "reason": ""}), "reason"),
        (json!({"delta": 1_000_000_000, "reason": "x"}), "delta"),
    ] {
        let reply = env
            .call(
                at("inventory/adjust", "DESK-120")
                    .by(&admin)
                    .body(body.clone()),
            )
            .await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["field"], field, "{body}");
    }
    let empty = env
        .call(at("inventory/patch", "DESK-120").by(&admin).body(json!({})))
        .await;
    assert_eq!(empty.status, 422);
    assert_eq!(
        env.call(at("inventory/get", "DESK-120").by(&admin))
            .await
            .body["version"],
        1
    );
}

/// The codes the low-stock list shows, in order.
async fn low_stock(env: &crate::helpers::TestEnv, who: &crate::helpers::Account) -> Vec<String> {
    let reply = env.call(Call::new("inventory/low-stock").by(who)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sku"].as_str().unwrap().to_owned())
        .collect()
}
