//! Stock moved inside other modules' transactions, on DynamoDB Local
//! (which serialises conditional writes like DynamoDB): racing takes never
//! oversell, a short SKU cancels the whole transaction, and the low-stock
//! mark follows when the mover settles.

use crate::{at, create};
use opsflow_inventory::domain::Sku;
use opsflow_inventory::service::stock::{add_moves, settle};
use opsflow_platform::domain::Role;
use opsflow_platform::events::{Actor, Envelope, OutboxItem};
use opsflow_platform::store::{Store, StoreError, Transaction};
use serde_json::json;

/// What one attempt to take stock came to.
#[derive(Debug, PartialEq, Eq)]
enum Taken {
    Yes,
    Short(Vec<Sku>),
}

/// Takes `moves` in one transaction with an event of its own, as an order
/// would; a transaction that lost a race with another is tried again.
async fn take(store: &Store, moves: &[(Sku, i64)]) -> Taken {
    for attempt in 0..200u64 {
        let mut tx = Transaction::new();
        let added = add_moves(store, &mut tx, moves).unwrap();
        let event = Envelope::new(
            "test.taken",
            "test",
            "x",
            Actor::system(),
            "stock-test",
            json!({}),
        );
        tx.add(
            store
                .put(OutboxItem::new(&event).unwrap().to_item().unwrap(), None)
                .unwrap(),
        );
        match store.commit(tx).await {
            Ok(()) => return Taken::Yes,
            Err(error) => {
                let short = added.short(&error);
                if !short.is_empty() {
                    return Taken::Short(short);
                }
                let conflict = matches!(&error, StoreError::TransactionCancelled(reasons)
                    if reasons.iter().any(|r| r == "TransactionConflict"));
                assert!(
                    conflict || matches!(error, StoreError::Throttled),
                    "{error:?}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(2 + attempt % 7)).await;
            }
        }
    }
    panic!("no answer after 200 attempts");
}

fn sku(code: &str) -> Sku {
    Sku::parse(code).unwrap()
}

#[tokio::test]
async fn two_hundred_racing_takes_of_one_unit_sell_exactly_the_fifty_in_stock() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    create(
        &env,
        &admin,
        json!({"sku": "HOT-1", "name": "Popular", "unit_price": 100, "quantity": 50}),
    )
    .await;
    let store = env.users.store.clone();
    let takes = (0..200).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { take(&store, &[(sku("HOT-1"), -1)]).await })
    });
    let outcomes: Vec<Taken> = futures::future::join_all(takes)
        .await
        .into_iter()
        .map(|joined| joined.unwrap())
        .collect();
    let sold = outcomes.iter().filter(|o| **o == Taken::Yes).count();
    let refused = outcomes
        .iter()
        .filter(|o| **o == Taken::Short(vec![sku("HOT-1")]))
        .count();
    assert_eq!((sold, refused), (50, 150));
    let after = env.call(at("inventory/get", "HOT-1").by(&admin)).await;
    assert_eq!(after.body["quantity"], 0);
    assert_eq!(after.body["version"], 51, "one version per unit sold");
    assert_eq!(env.events_of_type("test.taken").await.len(), 50);

    // The mover settles: the SKU goes onto the low-stock list, once.
    let cause = Envelope::new(
        "test.taken",
        "test",
        "x",
        Actor::system(),
        "stock-test",
        json!({}),
    );
    settle(&store, &sku("HOT-1"), &Actor::system(), &cause)
        .await
        .unwrap();
    settle(&store, &sku("HOT-1"), &Actor::system(), &cause)
        .await
        .unwrap();
    let low = env.events_of_type("inventory.low_stock").await;
    assert_eq!(low.len(), 1);
    assert_eq!(low[0]["data"]["quantity"], 0);
    let listed = env
        .call(crate::helpers::Call::new("inventory/low-stock").by(&admin))
        .await;
    assert_eq!(listed.body["items"][0]["sku"], "HOT-1");
}

#[tokio::test]
async fn a_transaction_short_of_one_sku_moves_none_and_stock_given_back_comes_off_the_list() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    create(&env, &admin, json!({"sku": "A-1", "name": "A", "unit_price": 100, "quantity": 10, "low_stock_threshold": 5})).await;
    create(&env, &admin, json!({"sku": "B-1", "name": "B", "unit_price": 100, "quantity": 1, "low_stock_threshold": 0})).await;
    let store = env.users.store.clone();
    let outcome = take(&store, &[(sku("A-1"), -2), (sku("B-1"), -3)]).await;
    assert_eq!(outcome, Taken::Short(vec![sku("B-1")]));
    assert_eq!(
        env.call(at("inventory/get", "A-1").by(&admin)).await.body["quantity"],
        10
    );
    let unknown = take(&store, &[(sku("A-1"), -1), (sku("NONE-1"), -1)]).await;
    assert_eq!(unknown, Taken::Short(vec![sku("NONE-1")]));

    // Taken below the threshold, settled onto the list; given back,
    // settled off it, each with its event once.
    assert_eq!(take(&store, &[(sku("A-1"), -6)]).await, Taken::Yes);
    let cause = Envelope::new(
        "test.taken",
        "test",
        "x",
        Actor::system(),
        "stock-test",
        json!({}),
    );
    settle(&store, &sku("A-1"), &Actor::system(), &cause)
        .await
        .unwrap();
    let listed = env
        .call(crate::helpers::Call::new("inventory/low-stock").by(&admin))
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(take(&store, &[(sku("A-1"), 6)]).await, Taken::Yes);
    settle(&store, &sku("A-1"), &Actor::system(), &cause)
        .await
        .unwrap();
    let listed = env
        .call(crate::helpers::Call::new("inventory/low-stock").by(&admin))
        .await;
    assert_eq!(listed.body["items"], json!([]));
    assert_eq!(env.events_of_type("inventory.low_stock").await.len(), 1);
    settle(&store, &sku("A-1"), &Actor::system(), &cause)
        .await
        .unwrap();
    let cleared = env.events_of_type("inventory.low_stock_cleared").await;
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared[0]["data"]["quantity"], 10);
    assert_eq!(cleared[0]["correlation_id"], "stock-test");
    assert_eq!(
        env.call(at("inventory/get", "A-1").by(&admin)).await.body["quantity"],
        10
    );
}

#[tokio::test]
async fn a_change_without_a_version_lands_on_a_sku_whose_stock_keeps_moving() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    create(
        &env,
        &admin,
        json!({"sku": "BUSY-1", "name": "Busy", "unit_price": 100, "quantity": 100}),
    )
    .await;
    let store = env.users.store.clone();
    let takes = (0..30).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { take(&store, &[(sku("BUSY-1"), -1)]).await })
    });
    let change = env.call(
        at("inventory/patch", "BUSY-1")
            .by(&admin)
            .body(json!({"unit_price": 120})),
    );
    let (taken, changed) = futures::future::join(futures::future::join_all(takes), change).await;
    assert!(taken.into_iter().all(|t| t.unwrap() == Taken::Yes));
    assert_eq!(changed.status, 200, "{}", changed.body);
    let now = env.call(at("inventory/get", "BUSY-1").by(&admin)).await;
    assert_eq!(now.body["unit_price"], 120);
    assert_eq!(now.body["quantity"], 70, "the change kept every move");
}
