//! Stock under orders, on DynamoDB Local: racing orders never oversell,
//! a mixed run of orders, cancels and re-opens leaves every SKU at its
//! initial stock less what live orders hold, and an order is all or
//! nothing.

use crate::{move_to, order, stock, units};
use opsflow_platform::domain::Role;
use std::collections::HashMap;

#[tokio::test]
async fn two_hundred_racing_orders_for_fifty_units_sell_exactly_fifty() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    stock(&env, &admin, "HOT-1", 50, 1999).await;
    let replies =
        futures::future::join_all((0..200).map(|_| order(&env, &buyer, &[("HOT-1", 1)]))).await;
    let placed = replies.iter().filter(|r| r.status == 201).count();
    let refused = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!((placed, refused), (50, 150));
    for reply in replies.iter().filter(|r| r.status == 409) {
        assert!(
            reply.body["detail"].as_str().unwrap().contains("HOT-1"),
            "{}",
            reply.body
        );
    }
    assert_eq!(units(&env, &admin, "HOT-1").await, 0);
    assert_eq!(env.events_of_type("order.created").await.len(), 50);
}

#[tokio::test]
async fn a_mixed_run_leaves_each_sku_at_its_stock_less_the_live_orders() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    let skus = [("MIX-A", 40), ("MIX-B", 25), ("MIX-C", 60)];
    for (sku, quantity) in skus {
        stock(&env, &admin, sku, quantity, 500).await;
    }
    // Orders of 1–3 units over the three SKUs, placed at once.
    let plans: Vec<Vec<(&str, i64)>> = (0..60)
        .map(|n| {
            let mut lines = vec![(skus[n % 3].0, 1 + (n % 3) as i64)];
            if n % 4 == 0 {
                lines.push((skus[(n + 1) % 3].0, 1));
            }
            lines
        })
        .collect();
    let placed =
        futures::future::join_all(plans.iter().map(|lines| order(&env, &buyer, lines))).await;
    let ids: Vec<String> = placed
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.body["id"].as_str().unwrap().to_owned())
        .collect();
    // Cancel every third placed order and re-open every other cancelled
    // one, all at once (a re-open may find its stock gone: 409).
    let cancels = ids
        .iter()
        .step_by(3)
        .map(|id| move_to(&env, &admin, id, "cancelled"));
    futures::future::join_all(cancels).await;
    let reopens = ids
        .iter()
        .step_by(6)
        .map(|id| move_to(&env, &admin, id, "pending"));
    futures::future::join_all(reopens).await;

    let mut held: HashMap<String, i64> = HashMap::new();
    for id in &ids {
        let reply = env.call(crate::at("orders/get", id).by(&admin)).await;
        if reply.body["status"] != "cancelled" {
            for line in reply.body["items"].as_array().unwrap() {
                *held
                    .entry(line["sku"].as_str().unwrap().to_owned())
                    .or_default() += line["quantity"].as_i64().unwrap();
            }
        }
    }
    for (sku, initial) in skus {
        let live = held.get(sku).copied().unwrap_or(0);
        assert_eq!(units(&env, &admin, sku).await, initial - live, "{sku}");
    }
}

#[tokio::test]
async fn a_multi_line_order_with_one_short_sku_takes_nothing() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    stock(&env, &admin, "PLENTY-1", 100, 100).await;
    stock(&env, &admin, "SCARCE-1", 2, 100).await;
    let reply = order(&env, &buyer, &[("PLENTY-1", 10), ("SCARCE-1", 3)]).await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("SCARCE-1") && !detail.contains("PLENTY-1"),
        "{detail}"
    );
    assert_eq!(units(&env, &admin, "PLENTY-1").await, 100);
    assert_eq!(units(&env, &admin, "SCARCE-1").await, 2);
    assert!(env.events_of_type("order.created").await.is_empty());
}
