//! Event source mappings: what makes functions run without an HTTP
//! request. One task per mapping, all stopped by one shutdown signal.

pub mod filter;
pub mod schedule;
pub mod sqs;
pub mod stream;
