//! `opsflow-local`: the whole platform on one machine, driven by
//! `template.yaml`, with no Docker and no AWS account.
//!
//! - [`template`] reads the SAM template (CloudFormation short tags
//!   resolved to local values) into functions, tables, queues, buckets, e-mail
//!   identities and the HTTP API's routes and CORS settings.
//! - [`resources`] creates those tables on DynamoDB Local, and the queues,
//!   buckets and identities on moto.
//! - [`runtime`] runs each function's real binary as a child process against
//!   an emulated Lambda Runtime API, and prints Lambda-style `REPORT` lines.
//! - [`gateway`] serves the HTTP API as API Gateway (HTTP API, payload 2.0)
//!   would.
//! - [`sources`] runs the event source mappings: SQS pollers, the DynamoDB
//!   stream poller and schedules.
//! - [`docs`] serves the interactive API documentation at `/docs`, beside
//!   the API, [`inbox`] a webhook receiver at `/_inbox`, and [`mail`] the
//!   e-mail sent through moto's SES at `/_mail` (the local runtime's own
//!   pages; AWS has no such paths).
//!
//! Invariant: everything that invokes a function goes through [`Invoke`]
//! (the runtime, or an in-process [`Handle`]), so routing and polling
//! behave the same whatever serves the function.

pub mod bench;
pub mod demo_requests;
pub mod docs;
pub mod gateway;
pub mod inbox;
pub mod load;
pub mod mail;
pub mod platform;
pub mod resources;
pub mod runtime;
pub mod sam_env;
mod secrets;
pub mod seed;
pub mod sources;
pub mod template;

use std::future::Future;
use std::pin::Pin;

/// How an invocation ended, as a caller of Lambda's `Invoke` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeOutcome {
    /// The function returned this payload.
    Success(Vec<u8>),
    /// The function reported an error (`/invocation/{id}/error`), panicked,
    /// or failed its init; `error_type` and `error_message` as Lambda
    /// reports them (`Runtime.ExitError`, `Sandbox.Timedout`, …).
    FunctionError {
        error_type: String,
        error_message: String,
    },
    /// The function ran past its timeout and was stopped.
    Timeout,
    /// No function with that logical id.
    NoSuchFunction,
}

/// Something that invokes functions by logical id (the runtime; a stub in
/// unit tests of the gateway and pollers).
pub trait Invoke: Send + Sync + 'static {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = InvokeOutcome> + Send + 'a>>;
}

/// A function served in process (a test double, a stub): one `async fn`
/// per invocation. Every `Handle` is an [`Invoke`], so the pollers and the
/// gateway drive it as they drive the runtime.
pub trait Handle: Send + Sync + 'static {
    fn handle(
        &self,
        function: &str,
        payload: Vec<u8>,
    ) -> impl Future<Output = InvokeOutcome> + Send;
}

impl<T: Handle> Invoke for T {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = InvokeOutcome> + Send + 'a>> {
        Box::pin(self.handle(function, payload))
    }
}
