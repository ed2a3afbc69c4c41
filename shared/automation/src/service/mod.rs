//! Automation's use cases: the only code that writes rules (each takes
//! parsed input and who acts, builds the rule's event and commits both in
//! one transaction; the `rules` API, the demo seed and tests call them),
//! and running rules on demand (`execute`).

pub mod decisions;
pub mod execute;
pub mod failures;
pub mod rules;

pub use rules::RuleError;
