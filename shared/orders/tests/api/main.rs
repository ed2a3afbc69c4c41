//! The integration tests of `opsflow-orders`, one binary: each test runs
//! against DynamoDB Local (which serialises conditional writes like
//! DynamoDB) on a table of its own, through the kernel's test harness.

#![allow(clippy::unwrap_used)]

mod analytics;
mod holds;
#[cfg(feature = "openapi")]
mod openapi;
mod orders;
mod rbac;
mod stock;

#[path = "../../src/testkit.rs"]
mod own_testkit;

/// What the tests use of the harness.
mod helpers {
    pub use opsflow_platform::testkit::*;
}

use helpers::{Account, Call, Setup, TestEnv};
use serde_json::{json, Value};

/// The modules these tests register and the functions they call.
const SETUP: Setup = Setup {
    modules: &[
        opsflow_identity::register,
        opsflow_approvals::register,
        opsflow_inventory::register,
        opsflow_orders::register,
    ],
    functions: &[
        opsflow_identity::testkit::SERVE,
        opsflow_approvals::testkit::SERVE,
        opsflow_inventory::testkit::SERVE,
        own_testkit::SERVE,
    ],
};

/// A fresh table, apps and keys, serving the functions these tests call.
pub async fn env() -> TestEnv {
    SETUP.env().await
}

/// Stocks SKU `sku` with `quantity` units at `price` cents, as `admin`.
pub async fn stock(env: &TestEnv, admin: &Account, sku: &str, quantity: i64, price: i64) {
    let body = json!({"sku": sku, "name": format!("Thing {sku}"), "unit_price": price, "quantity": quantity, "low_stock_threshold": 0});
    let reply = env
        .call(Call::new("inventory/create").by(admin).body(body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

/// The units of `sku` in stock.
pub async fn units(env: &TestEnv, who: &Account, sku: &str) -> i64 {
    let reply = env
        .call(
            Call::new("inventory/get")
                .path_params(&[("sku", sku)])
                .by(who),
        )
        .await;
    reply.body["quantity"].as_i64().unwrap()
}

/// Places an order of `lines` (`(sku, units)`) as `who`; the reply.
pub async fn order(env: &TestEnv, who: &Account, lines: &[(&str, i64)]) -> helpers::Reply {
    let items: Vec<Value> = lines
        .iter()
        .map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity}))
        .collect();
    env.call(
        Call::new("orders/create")
            .by(who)
            .body(json!({"items": items})),
    )
    .await
}

/// The call for order `id` from fixture `fixture` (`orders/get`, …).
pub fn at(fixture: &str, id: &str) -> Call {
    Call::new(fixture).path_params(&[("id", id)])
}

/// Moves order `id` to `status` as `who`; the reply.
pub async fn move_to(env: &TestEnv, who: &Account, id: &str, status: &str) -> helpers::Reply {
    env.call(
        at("orders/patch", id)
            .by(who)
            .body(json!({"status": status})),
    )
    .await
}
