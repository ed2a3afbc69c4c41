//! The `rules` and `automation` functions' request handlers.

pub use opsflow_platform::api::*;

pub mod automation;
pub mod rules;
