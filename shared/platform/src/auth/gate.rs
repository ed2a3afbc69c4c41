//! The session gate of a request: its route runs side by side with the
//! check that the caller's session is live ([`super::session`]), and
//! nothing the route writes is sent before the check has passed.
//!
//! [`crate::api::serve`] runs every route inside a gate ([`run`]), which
//! is also a read window ([`crate::store::batch`]): the check's two reads
//! and the route's first read by key go out in one `BatchGetItem`. Every
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
//! A transaction need not wait: when the caller's token names its
//! session's generation ([`run_claimed`]), `Store::transact` sends it at
//! once with two `ConditionCheck`s that hold only while the session is
//! live ([`SessionClaim::conditions`]), so a create whose first call is a
//! write costs one round trip too. When those conditions fail, it waits
//! for the check and sends the transaction again with the conditions of
//! the generation the check found ([`confirmed_claim`]), or not at all
//! when the session has ended.
//!
//! Outside a gate (consumers, tools, tests that call the store directly)
//! writes go at once, and so do those of a task a route spawns: the gate
//! is the route's task's, so a route must not write from a spawned task.

use super::session::SessionClaim;
use crate::store::StoreError;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

tokio::task_local! {
    /// The current request's gate.
    static GATE: Gate;
    /// Set while a transaction that carries the session's conditions is
    /// sent ([`carrying_the_check`]).
    static CARRIES_THE_CHECK: ();
}

#[derive(Clone)]
struct Gate {
    /// `None` while the check runs, then whether the session is live.
    verdict: watch::Receiver<Option<bool>>,
    /// What the caller's token says of its session, if it says enough.
    claim: Option<SessionClaim>,
    /// Set once a transaction carrying the session's conditions has
    /// committed: the session was live when it did.
    carried: Arc<AtomicBool>,
    /// The generation the check found the session live at, once it has.
    confirmed: Arc<Mutex<Option<u64>>>,
}

/// Runs `route` inside a new gate with `check` beside it, and returns
/// both results. The gate opens when `check` succeeds; when it fails,
/// every write still waiting is refused ([`StoreError::SessionEnded`]).
pub async fn run<E, T>(
    check: impl Future<Output = Result<(), E>>,
    route: impl Future<Output = T>,
) -> (Result<(), E>, T) {
    let check = async { check.await.map(|()| None) };
    let (checked, answer, _) = run_claimed(None, check, route).await;
    (checked, answer)
}

/// [`run`], for a caller whose token names its session's generation: a
/// transaction the route commits before the check has passed may carry
/// the session's conditions and go at once ([`pending_claim`]). The third
/// result says whether such a transaction committed: the session was
/// live then (liveness never returns: a revoked session, an older
/// generation or an expired one stays dead), so the change stands
/// whatever the check, run beside it, found.
///
/// `check` answers the generation it found the session live at, if it
/// knows it: a transaction whose carried conditions failed is sent again
/// with that generation's ([`confirmed_claim`]), so a session that ends
/// between the check and the resend still writes nothing.
pub async fn run_claimed<E, T>(
    claim: Option<SessionClaim>,
    check: impl Future<Output = Result<Option<u64>, E>>,
    route: impl Future<Output = T>,
) -> (Result<(), E>, T, bool) {
    let (verdict, receiver) = watch::channel(None);
    let carried = Arc::new(AtomicBool::new(false));
    let confirmed = Arc::new(Mutex::new(None));
    let gate = Gate {
        verdict: receiver,
        claim,
        carried: Arc::clone(&carried),
        confirmed: Arc::clone(&confirmed),
    };
    let check = async move {
        let checked = check.await;
        if let Ok(Some(generation)) = &checked {
            *confirmed.lock().unwrap_or_else(PoisonError::into_inner) = Some(*generation);
        }
        // No receiver left means the route has finished: nothing waits.
        let _ = verdict.send(Some(checked.is_ok()));
        checked.map(|_| ())
    };
    // The check's reads and the route's first read by key go in one
    // batch. Boxed: a route's future can be large, and debug builds copy
    // it on the stack at each level it is wrapped in.
    let both = Box::pin(async { futures::join!(check, GATE.scope(gate, route)) });
    let (checked, answer) = crate::store::batch::within(both).await;
    (checked, answer, carried.load(Ordering::SeqCst))
}

/// The claim at the generation the check found the session live at,
/// once it has (inside a gate whose caller's token named its generation).
pub fn confirmed_claim() -> Option<SessionClaim> {
    GATE.try_with(|gate| {
        let generation = *gate
            .confirmed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let claim = gate.claim.clone()?;
        Some(SessionClaim {
            generation: generation?,
            ..claim
        })
    })
    .ok()
    .flatten()
}

/// Records, inside a gate, that a transaction carrying the session's
/// conditions committed ([`run_claimed`]'s third result).
pub(crate) fn note_carried_commit() {
    let _ = GATE.try_with(|gate| gate.carried.store(true, Ordering::SeqCst));
}

/// Waits, inside a request's gate, until its session has been found live;
/// at once outside a gate. [`StoreError::SessionEnded`] when it was not:
/// the write must not be sent.
pub async fn cleared() -> Result<(), StoreError> {
    let Ok(mut gate) = GATE.try_with(|gate| gate.verdict.clone()) else {
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

/// The claim a transaction may carry as conditions instead of waiting for
/// the check: inside a gate whose check is still running, when the token
/// named its generation. `None` outside a gate and once the check is over
/// (the write then awaits [`cleared`], which answers at once).
pub fn pending_claim() -> Option<SessionClaim> {
    GATE.try_with(|gate| {
        if gate.verdict.borrow().is_none() {
            gate.claim.clone()
        } else {
            None
        }
    })
    .ok()
    .flatten()
}

/// Sends `transaction`, which carries the conditions of [`pending_claim`],
/// past the client's backstop.
pub(crate) async fn carrying_the_check<T>(transaction: impl Future<Output = T>) -> T {
    CARRIES_THE_CHECK.scope((), transaction).await
}

/// Whether `operation` may be sent now: outside a gate, once it has opened,
/// or as a transaction that carries the session's conditions.
fn may_send(operation: &str) -> bool {
    let carries = operation == "TransactWriteItems" && CARRIES_THE_CHECK.try_with(|()| ()).is_ok();
    carries
        || GATE
            .try_with(|gate| *gate.verdict.borrow() == Some(true))
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
            Some(name) if WRITES.contains(&name) && !may_send(name) => Err(format!(
                "{name} sent before the session check passed: await auth::gate::cleared() first"
            )
            .into()),
            _ => Ok(()),
        }
    }
}
