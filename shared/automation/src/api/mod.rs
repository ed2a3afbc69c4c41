//! The `rules` (with `decisionRules`) and `automation` functions' request
//! handlers.

pub use opsflow_platform::api::*;

pub mod automation;
pub mod decision_rules;
pub mod rules;
