//! Automation's event types: a rule's life (`rule.*`, each carrying the
//! rule's view as `data`), the record of an on-demand run, decision
//! rules' versions and decisions.

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

/// The entity kind of decision rule events.
pub const DECISION_RULE: &str = "decision_rule";
/// A new version of a type's rule; `data` is the version.
pub const DECISION_RULE_CREATED: &str = "decision_rule.created";
/// A version's `is_active` changed.
pub const DECISION_RULE_UPDATED: &str = "decision_rule.updated";
/// The entity kind of decisions.
pub const DECISION: &str = "decision";
/// A decision request decided (or skipped), about `decision`/<task id>:
/// `data` is the answer and the request as sent.
pub const AUTOMATION_DECIDED: &str = "automation.decided";
