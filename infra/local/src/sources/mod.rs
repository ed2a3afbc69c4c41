//! Event source mappings: what makes functions run without an HTTP
//! request. One task per mapping, all stopped by one shutdown signal.
//! Invariant: every mapping runs with a [`Wiring`] (the functions to invoke
//! and the shutdown signal), does nothing when its source is disabled, and
//! returns once the signal turns true.

pub mod filter;
pub mod schedule;
pub mod sqs;
pub mod stream;

use crate::Invoke;
use std::sync::Arc;
use tokio::sync::watch;

/// What every mapping runs with: the functions it invokes and the signal
/// that stops it (`true`: stop).
#[derive(Clone)]
pub struct Wiring {
    pub invoker: Arc<dyn Invoke>,
    pub shutdown: watch::Receiver<bool>,
}
