//! The automation rule language: what a rule is, how its trigger and
//! conditions are matched against an event envelope (DESIGN §4), and which
//! actions it may ask for.
//!
//! Everything here is pure: no storage, no queues, no HTTP. A rule written
//! by a client is a [`RuleInput`]; [`RuleSpec::parse`] turns it into a
//! [`RuleSpec`] or returns every problem with its JSON path inside the rule
//! (`conditions.all[1].value`, `actions[2].topic`). The invariant it keeps:
//! a `RuleSpec` can always be evaluated. Its trigger is well formed, every
//! condition path is rooted in the envelope and typed consistently with its
//! operator and operand, and every action is one the runner knows, with
//! fields it can use as they are. Stored rules are read back through the
//! same parsers, so nothing unchecked enters through storage either.
//!
//! - [`Trigger`]: event-type patterns such as `approval.*` (the kernel's
//!   `EventPattern`).
//! - [`path`]: field paths into the envelope (`data.amount`,
//!   `changes.status.1`).
//! - [`condition`]: the condition language and its write-time checks.
//! - [`evaluate`]: evaluation of a condition against an event, with a trace.
//! - [`action`]: the actions a rule may take.
//! - [`rule`]: a whole rule.

pub mod action;
mod action_values;
pub mod condition;
pub mod decision;
pub mod evaluate;
pub mod path;
pub mod rule;

#[cfg(test)]
mod properties;

pub use action::{Action, JobType, PayloadPath, WebhookTopic};
pub use condition::{Condition, Leaf, Operator};
pub use evaluate::{Evaluation, Trace};
/// A rule's trigger: the pattern of event types that start it (the
/// kernel's, which webhook subscriptions use too).
pub use opsflow_platform::events::EventPattern as Trigger;
pub use path::FieldPath;
pub use rule::{RuleInput, RuleSpec};

/// Problems found in a rule at write time: `(path, message)` pairs, the
/// path being where the problem sits inside the rule's JSON.
pub type Problems = Vec<(String, String)>;

/// Problems as one message, `path: message; path: message` (what a
/// `TryFrom` of the language reports).
pub fn describe(problems: Problems) -> String {
    let parts: Vec<String> = problems
        .into_iter()
        .map(|(path, message)| format!("{path}: {message}"))
        .collect();
    parts.join("; ")
}

/// The conversions of a checked text newtype (`$name(String)` with a
/// `parse(&str) -> Result<Self, String>`): read from a `String` through
/// `parse` (so serde checks what it reads), written and shown as its text.
macro_rules! text_newtype {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
use text_newtype;

/// An envelope with every field set, holding `data` (for the tests of
/// paths and evaluation).
#[cfg(test)]
fn test_envelope(data: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": "e-1",
        "type": "approval.approved",
        "entity": "approval",
        "entity_id": "a-1",
        "actor": {"id": "u-1", "role": "approver"},
        "occurred_at": "2026-05-01T10:00:00Z",
        "correlation_id": "c-1",
        "depth": 0,
        "data": data,
        "changes": {"status": ["PENDING", "APPROVED"]}
    })
}

/// The size of a value as compact JSON, in bytes.
pub fn json_size(value: &serde_json::Value) -> usize {
    serde_json::to_vec(value)
        .map(|bytes| bytes.len())
        .unwrap_or(usize::MAX)
}

/// How deeply a value nests, counted as `Payload` counts it: a scalar is
/// 0, `[]` and `{"a":1}` are 1, `{"a":[1]}` is 2.
pub fn json_depth(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    // Iterative, so a pathological value cannot exhaust the stack.
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, level)) = stack.pop() {
        match value {
            Value::Array(items) => {
                deepest = deepest.max(level + 1);
                stack.extend(items.iter().map(|v| (v, level + 1)));
            }
            Value::Object(map) => {
                deepest = deepest.max(level + 1);
                stack.extend(map.values().map(|v| (v, level + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// The JSON type of a value, as messages and traces name it.
pub fn json_type(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The JSON type of a value with its article, for messages: "an array".
pub fn a_json_type(value: &serde_json::Value) -> String {
    let name = json_type(value);
    let article = if name.starts_with(['a', 'o']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_counts_levels_of_nesting() {
        assert_eq!(json_depth(&json!(1)), 0);
        assert_eq!(json_depth(&json!([1])), 1);
        assert_eq!(json_depth(&json!({})), 1);
        assert_eq!(json_depth(&json!({"a": [1, {"b": 2}]})), 3);
    }

    #[test]
    fn size_is_the_compact_json_length() {
        assert_eq!(json_size(&json!({"a": 1})), 7);
    }
}
