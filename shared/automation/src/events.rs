//! Automation's event types: a rule's life (`rule.*`, each carrying the
//! rule's view as `data`) and the record of an on-demand run.

pub use opsflow_platform::events::*;

/// The entity kind of rule events.
pub const RULE: &str = "rule";
pub const RULE_CREATED: &str = "rule.created";
/// `changes` names each field that changed, `[before, after]`.
pub const RULE_UPDATED: &str = "rule.updated";
pub const RULE_DELETED: &str = "rule.deleted";
/// A real run of `execute`, about `automation`/<the event's id>: `data` is
/// `{event, rule_ids}`, so the audit log shows who ran which rules on what.
pub const AUTOMATION_EXECUTED: &str = "automation.executed";
