//! The scorer and what it reads. Pure: no I/O, no clock.
//! - [`history`]: what the platform has seen of a workflow (its amounts,
//!   its payload fields, its steps' times) and of a requester.
//! - [`score`]: a request's context → its risk (score, level, factors).

pub mod figures;
pub mod history;
pub mod insight;
pub mod score;

pub use history::{AmountHistory, Context, RequesterHistory, StepTime};
pub use score::{score, Factor, Risk, RiskLevel};
