//! `event-router` and `audit-writer` as in-process functions behind the
//! local runtime's `Invoke` (as `Handle`s): the real `Router::route` and
//! `audit_writer::write_batch`, fed the events the mappings build and
//! answering with what the real binaries return.
//!
//! Invariant: apart from the injected faults, each answers exactly as the
//! real binary would.

use super::envelope_id;
use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsEvent};
use opsflow_audit::pipeline::audit_writer;
use opsflow_local::{Handle, InvokeOutcome};
use opsflow_platform::pipeline::router::Router;
use opsflow_platform::store::Store;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;

/// The real router; counts the invocations that reported a failed record.
pub struct RouterFunction {
    router: Router,
    failed_invocations: AtomicU32,
}

impl RouterFunction {
    pub fn new(router: Router) -> Self {
        Self {
            router,
            failed_invocations: AtomicU32::new(0),
        }
    }

    /// Invocations that named a stream record to retry from.
    pub fn failed_invocations(&self) -> u32 {
        self.failed_invocations.load(Ordering::SeqCst)
    }
}

impl Handle for RouterFunction {
    async fn handle(&self, _function: &str, payload: Vec<u8>) -> InvokeOutcome {
        let event: StreamEvent =
            serde_json::from_slice(&payload).expect("the mapping sends a stream event");
        let response = self.router.route(&event).await;
        if !response.batch_item_failures.is_empty() {
            self.failed_invocations.fetch_add(1, Ordering::SeqCst);
        }
        InvokeOutcome::Success(serde_json::to_vec(&response).expect("a JSON response"))
    }
}

/// The real audit writer, with two faults: each message of a `flaky`
/// envelope is reported as a batch item failure, unwritten, on its first
/// `failures` deliveries; and the first invocation that writes anything
/// then fails as a whole, as a crash after the writes would.
pub struct AuditWriterFunction {
    store: Store,
    flaky: HashSet<String>,
    failures: u32,
    /// Message id → (body, deliveries).
    deliveries: Mutex<HashMap<String, (String, u32)>>,
    crashed: AtomicBool,
}

impl AuditWriterFunction {
    pub fn new(store: Store, flaky: HashSet<String>, failures: u32) -> Self {
        Self {
            store,
            flaky,
            failures,
            deliveries: Mutex::new(HashMap::new()),
            crashed: AtomicBool::new(false),
        }
    }

    /// Message id → (body, deliveries).
    pub fn deliveries(&self) -> HashMap<String, (String, u32)> {
        self.deliveries.lock().expect("not poisoned").clone()
    }

    pub fn crashed(&self) -> bool {
        self.crashed.load(Ordering::SeqCst)
    }

    /// Counts a delivery of each message; returns the batch to hand to the
    /// writer and the ids of the messages failed without a write.
    fn sort_out(&self, event: &SqsEvent) -> (SqsEvent, Vec<String>) {
        let mut handled = event.clone();
        handled.records.clear();
        let mut failed_unwritten = Vec::new();
        let mut deliveries = self.deliveries.lock().expect("not poisoned");
        for message in &event.records {
            let id = message.message_id.clone().unwrap_or_default();
            let body = message.body.clone().unwrap_or_default();
            let delivery = deliveries.entry(id.clone()).or_insert((body.clone(), 0));
            delivery.1 += 1;
            let flaky = envelope_id(&body).is_some_and(|e| self.flaky.contains(&e));
            if flaky && delivery.1 <= self.failures {
                failed_unwritten.push(id);
            } else {
                handled.records.push(message.clone());
            }
        }
        (handled, failed_unwritten)
    }
}

impl Handle for AuditWriterFunction {
    async fn handle(&self, _function: &str, payload: Vec<u8>) -> InvokeOutcome {
        let event: SqsEvent =
            serde_json::from_slice(&payload).expect("the mapping sends an SQS event");
        let (handled, failed_unwritten) = self.sort_out(&event);
        let mut response = audit_writer::write_batch(&self.store, &handled).await;
        let wrote_some = handled.records.len() > response.batch_item_failures.len();
        if wrote_some && !self.crashed.swap(true, Ordering::SeqCst) {
            return InvokeOutcome::FunctionError {
                error_type: "Runtime.ExitError".into(),
                error_message: "injected crash after the writes".into(),
            };
        }
        for id in failed_unwritten {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
        InvokeOutcome::Success(serde_json::to_vec(&response).expect("a JSON response"))
    }
}
