//! Automation's use cases: the only code that writes rules. Each takes
//! parsed input and who acts, builds the rule's event and commits both in
//! one transaction; the `rules` API, the demo seed and tests call them.

pub mod rules;

pub use rules::RuleError;
