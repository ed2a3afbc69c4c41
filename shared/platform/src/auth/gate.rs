//! The session gate of a request: its route runs side by side with the
//! check that the caller's session is live ([`super::session`]), and
//! nothing the route writes is sent before the check has passed.
//!
//! [`crate::api::serve`] runs every route inside a gate ([`run`]). Every
//! write the kernel and the modules send from a route first awaits
//! [`cleared`]: a route that reads, then writes, costs one round trip for
//! its read and the check together, and its write goes once the session
//! is known to be live. The DynamoDB client every function's store is
//! built on ([`crate::store::client`]) is the backstop: a write sent from
//! inside a gate that has not opened is refused before it leaves the
//! process ([`WritesWaitForTheSession`]; the route fails with a 500, or a
//! 401 when the session has ended). A write path that forgot to wait but
//! whose write happens to go after the check has passed is not caught,
//! and is harmless. Queue messages have no such backstop: their senders
//! await [`cleared`] themselves.
//!
//! Outside a gate (consumers, tools, tests that call the store directly)
//! writes go at once, and so do those of a task a route spawns: the gate
//! is the route's task's, so a route must not write from a spawned task.

use crate::store::StoreError;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::future::Future;
use tokio::sync::watch;

tokio::task_local! {
    /// The current request's verdict: `None` while the check runs, then
    /// whether the session is live.
    static GATE: watch::Receiver<Option<bool>>;
}

/// Runs `route` inside a new gate with `check` beside it, and returns
/// both results. The gate opens when `check` succeeds; when it fails,
/// every write still waiting is refused ([`StoreError::SessionEnded`]).
pub async fn run<E, T>(
    check: impl Future<Output = Result<(), E>>,
    route: impl Future<Output = T>,
) -> (Result<(), E>, T) {
    let (verdict, gate) = watch::channel(None);
    let check = async move {
        let checked = check.await;
        // No receiver left means the route has finished: nothing waits.
        let _ = verdict.send(Some(checked.is_ok()));
        checked
    };
    futures::join!(check, GATE.scope(gate, route))
}

/// Waits, inside a request's gate, until its session has been found live;
/// at once outside a gate. [`StoreError::SessionEnded`] when it was not:
/// the write must not be sent.
pub async fn cleared() -> Result<(), StoreError> {
    let Ok(mut gate) = GATE.try_with(watch::Receiver::clone) else {
        return Ok(());
    };
    let live = match gate.wait_for(Option::is_some).await {
        Ok(verdict) => *verdict == Some(true),
        // The check's side is gone without a verdict: nothing is sent.
        Err(_) => false,
    };
    if live {
        Ok(())
    } else {
        Err(StoreError::SessionEnded)
    }
}

/// Whether a write may be sent now: outside a gate, or once it has opened.
fn open_now() -> bool {
    GATE.try_with(|gate| *gate.borrow() == Some(true))
        .unwrap_or(true)
}

/// The store's client refuses a write operation sent from inside a gate
/// that has not opened (the backstop behind [`cleared`]).
#[derive(Debug)]
pub struct WritesWaitForTheSession;

/// DynamoDB's operations that change the table (PartiQL's included).
const WRITES: [&str; 8] = [
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "TransactWriteItems",
    "BatchWriteItem",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
];

impl Intercept for WritesWaitForTheSession {
    fn name(&self) -> &'static str {
        "WritesWaitForTheSession"
    }

    // Before serialisation: the operation's name is in the bag by then
    // (not yet when a client's `read_before_execution` runs).
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map(Metadata::name);
        match operation {
            Some(name) if WRITES.contains(&name) && !open_now() => Err(format!(
                "{name} sent before the session check passed: await auth::gate::cleared() first"
            )
            .into()),
            _ => Ok(()),
        }
    }
}
