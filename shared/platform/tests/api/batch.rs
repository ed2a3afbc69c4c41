//! A request's first reads go out in one `BatchGetItem` (`store::batch`):
//! the session check's and the route's, counted by the operations the
//! client sends. On DynamoDB Local.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use opsflow_platform::auth::gate;
use opsflow_platform::store::{batch, s, Item, Store};
use std::sync::{Arc, Mutex};

/// Records the name of every operation the client sends.
#[derive(Debug, Clone, Default)]
struct Sent(Arc<Mutex<Vec<String>>>);

impl Sent {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

impl Intercept for Sent {
    fn name(&self) -> &'static str {
        "Sent"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(operation) = cfg.load::<Metadata>() {
            self.0.lock().unwrap().push(operation.name().to_owned());
        }
        Ok(())
    }
}

/// The test table, through a client that records what it sends, with the
/// items `A` and `B` in it (the table lives as long as the environment).
async fn counted() -> (Store, Sent, crate::helpers::TestEnv) {
    let env = crate::env().await;
    let sent = Sent::default();
    let config = aws_sdk_dynamodb::config::Builder::from(&env.sdk)
        .interceptor(sent.clone())
        .build();
    let store = Store::new(aws_sdk_dynamodb::Client::from_conf(config), &env.table);
    for name in ["A", "B"] {
        let item = Item::from([
            ("pk".to_owned(), s(format!("BATCH-TEST#{name}"))),
            ("sk".to_owned(), s("ITEM")),
            ("name".to_owned(), s(name)),
        ]);
        store.put_once(item).await.unwrap();
    }
    sent.take();
    (store, sent, env)
}

async fn read(store: &Store, name: &str) -> Option<String> {
    let item = store
        .get_item(format!("BATCH-TEST#{name}"), "ITEM")
        .await
        .unwrap()?;
    Some(item["name"].as_s().unwrap().clone())
}

#[tokio::test]
async fn the_checks_reads_and_the_routes_first_read_are_one_request() {
    let (store, sent, _env) = counted().await;
    let check = async {
        let (a, missing) = futures::join!(read(&store, "A"), read(&store, "none"));
        assert_eq!((a.as_deref(), missing), (Some("A"), None));
        Ok::<(), ()>(())
    };
    let route = read(&store, "B");
    let (checked, b) = gate::run(check, route).await;
    assert_eq!(checked, Ok(()));
    assert_eq!(b.as_deref(), Some("B"));
    assert_eq!(sent.take(), ["BatchGetItem"]);
}

#[tokio::test]
async fn a_key_read_twice_in_a_window_is_read_once_for_both() {
    let (store, sent, _env) = counted().await;
    let (a, again, b) = batch::within(async {
        futures::join!(read(&store, "A"), read(&store, "A"), read(&store, "B"))
    })
    .await;
    assert_eq!(a.as_deref(), Some("A"));
    assert_eq!(again.as_deref(), Some("A"));
    assert_eq!(b.as_deref(), Some("B"));
    assert_eq!(sent.take(), ["BatchGetItem"]);
}

#[tokio::test]
async fn reads_after_the_window_closes_go_alone() {
    let (store, sent, _env) = counted().await;
    let (first, second) = batch::within(async {
        let first = futures::join!(read(&store, "A"), read(&store, "B"));
        // The route's second read: the window has closed by then.
        (first, read(&store, "B").await)
    })
    .await;
    assert_eq!(first, (Some("A".to_owned()), Some("B".to_owned())));
    assert_eq!(second.as_deref(), Some("B"));
    assert_eq!(sent.take(), ["BatchGetItem", "GetItem"]);
}

#[tokio::test]
async fn one_read_in_a_window_and_reads_outside_any_are_plain_gets() {
    let (store, sent, _env) = counted().await;
    let alone = batch::within(read(&store, "A")).await;
    assert_eq!(alone.as_deref(), Some("A"));
    assert_eq!(read(&store, "none").await, None);
    assert_eq!(sent.take(), ["GetItem", "GetItem"]);
}
