//! A route's writes wait for its session check (`auth::gate`): sent once
//! the check passes, never when it fails, and refused by the store's
//! client when a write path does not wait. On DynamoDB Local.

use opsflow_platform::auth::gate;
use opsflow_platform::store::{s, Item, Store, StoreError, Written};
use std::time::Duration;

/// The check's duration: long enough that an unwaited write would land
/// first.
const CHECK: Duration = Duration::from_millis(300);

fn marker(name: &str) -> Item {
    Item::from([
        ("pk".to_owned(), s(format!("GATE-TEST#{name}"))),
        ("sk".to_owned(), s("MARKER")),
    ])
}

async fn written(store: &Store, name: &str) -> bool {
    let pk = format!("GATE-TEST#{name}");
    store.get_item(pk, "MARKER").await.unwrap().is_some()
}

#[tokio::test]
async fn a_write_waits_for_the_check_and_is_sent_once_it_passes() {
    let env = crate::env().await;
    let store = &env.auth.store;
    let mut early = None;
    let check = async {
        tokio::time::sleep(CHECK).await;
        // What the route wrote so far: nothing, though it started first.
        early = Some(written(store, "passes").await);
        Ok::<(), ()>(())
    };
    let route = store.put_once(marker("passes"));
    let (checked, wrote) = gate::run(check, route).await;
    assert_eq!(checked, Ok(()));
    assert_eq!(early, Some(false), "written before the check passed");
    assert!(matches!(wrote, Ok(Written::New)), "{wrote:?}");
    assert!(written(store, "passes").await);
}

#[tokio::test]
async fn a_write_is_never_sent_when_the_check_fails() {
    let env = crate::env().await;
    let store = &env.auth.store;
    let check = async {
        tokio::time::sleep(CHECK).await;
        Err::<(), _>("the session has ended")
    };
    let route = async {
        let put = store.put_once(marker("fails")).await;
        let transaction = store.transact(Vec::new()).await;
        (put, transaction)
    };
    let (checked, (put, transaction)) = gate::run(check, route).await;
    assert!(checked.is_err());
    assert!(matches!(put, Err(StoreError::SessionEnded)), "{put:?}");
    assert!(
        matches!(transaction, Err(StoreError::SessionEnded)),
        "{transaction:?}"
    );
    assert!(!written(store, "fails").await);
}

#[tokio::test]
async fn a_write_sent_without_waiting_is_refused_before_it_leaves() {
    let env = crate::env().await;
    let store = &env.auth.store;
    let check = async {
        tokio::time::sleep(CHECK).await;
        Ok::<(), ()>(())
    };
    // A write path that forgot `gate::cleared()`: the client's backstop.
    let route = store
        .client()
        .put_item()
        .table_name(store.table())
        .set_item(Some(marker("unwaited")))
        .send();
    let (checked, sent) = gate::run(check, route).await;
    assert_eq!(checked, Ok(()));
    let error = format!("{:?}", sent.unwrap_err());
    assert!(error.contains("before the session check passed"), "{error}");
    assert!(!written(store, "unwaited").await);
}

#[tokio::test]
async fn outside_a_gate_writes_go_at_once() {
    let env = crate::env().await;
    let store = &env.auth.store;
    let wrote = store.put_once(marker("ungated")).await;
    assert!(matches!(wrote, Ok(Written::New)), "{wrote:?}");
    assert!(written(store, "ungated").await);
}
