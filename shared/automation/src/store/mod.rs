//! Rules and rule runs in the entity table. Access patterns are written in
//! each file's `//!`.

pub use opsflow_platform::store::*;

pub mod decisions;
pub mod failures;
pub mod keys;
pub mod rules;
pub mod runs;

pub use decisions::DecisionStore;
pub use failures::FailureStore;
pub use rules::RuleStore;
pub use runs::RunStore;
