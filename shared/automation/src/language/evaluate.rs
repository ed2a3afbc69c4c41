//! Evaluation of a condition against an event, with a trace of why.
//!
//! Evaluation is total: any JSON is a valid event, a missing path or a
//! value of an unexpected type makes a comparison false (see the typing
//! rules in [`super::condition`]), and nothing here can panic. Every leaf is
//! evaluated, with no short-circuit, so the trace shows the outcome of each
//! comparison; a rule has at most 50 leaves, so this costs nothing worth
//! saving.
//!
//! The trace mirrors the condition. Each node has `kind` (`all`, `any`,
//! `not` or `leaf`), `at` (its path in the rule, as validation errors name
//! it) and `result`. A leaf also has the `path`, `op` and `value` it was
//! written with, whether the path was `found`, the JSON type of what was
//! found (`actual_type`) and the value itself (`actual`) — left out, with
//! `truncated: true`, when it is over [`MAX_TRACED_VALUE_BYTES`]:
//!
//! ```json
//! {"kind": "all", "at": "conditions", "result": false, "conditions": [
//!   {"kind": "leaf", "at": "conditions.all[0]", "path": "data.amount", "op": "lt",
//!    "value": 100, "found": true, "actual_type": "number", "actual": 250, "result": false},
//!   {"kind": "leaf", "at": "conditions.all[1]", "path": "data.team", "op": "exists",
//!    "value": true, "found": false, "result": false}
//! ]}
//! ```

use super::condition::{Condition, Leaf, Operator};
use super::{json_size, json_type};
use serde::Serialize;
use serde_json::{Number, Value};
use std::cmp::Ordering;

/// Resolved values larger than this (as compact JSON) are left out of a
/// trace, which is stored with each run.
pub const MAX_TRACED_VALUE_BYTES: usize = 1024;

/// The outcome of evaluating a condition: whether it holds, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evaluation {
    pub matched: bool,
    pub trace: Trace,
}

/// One node of an evaluation trace; see the module documentation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "One node of a condition's \
    evaluation: `kind`, `at` (its path in the rule) and `result`; a leaf also has \
    what it compared and what it found.")
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trace {
    All {
        at: String,
        result: bool,
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        conditions: Vec<Trace>,
    },
    Any {
        at: String,
        result: bool,
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        conditions: Vec<Trace>,
    },
    Not {
        at: String,
        result: bool,
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        condition: Box<Trace>,
    },
    Leaf(LeafTrace),
}

/// The trace of one comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeafTrace {
    pub at: String,
    pub path: String,
    pub op: Operator,
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub value: Value,
    pub found: bool,
    /// The JSON type of what was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub actual_type: Option<&'static str>,
    /// What was found; left out (with `truncated`) when over 1 KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub actual: Option<Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    pub result: bool,
}

impl Trace {
    pub fn result(&self) -> bool {
        match self {
            Self::All { result, .. } | Self::Any { result, .. } | Self::Not { result, .. } => {
                *result
            }
            Self::Leaf(leaf) => leaf.result,
        }
    }

    /// The traces of every leaf, in the order they appear in the rule.
    pub fn leaves(&self) -> Vec<&LeafTrace> {
        let mut found = Vec::new();
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            match node {
                Self::All { conditions, .. } | Self::Any { conditions, .. } => {
                    stack.extend(conditions.iter().rev());
                }
                Self::Not { condition, .. } => stack.push(condition),
                Self::Leaf(leaf) => found.push(leaf),
            }
        }
        found
    }
}

impl Condition {
    /// Evaluates this condition (a rule's `conditions`) against an event
    /// envelope. Any JSON is accepted.
    pub fn evaluate(&self, event: &Value) -> Evaluation {
        let trace = trace(self, event, Condition::ROOT.to_owned());
        Evaluation {
            matched: trace.result(),
            trace,
        }
    }
}

fn trace(condition: &Condition, event: &Value, at: String) -> Trace {
    match condition {
        Condition::All(items) => {
            let conditions = children(items, event, &format!("{at}.all"));
            let result = conditions.iter().all(Trace::result);
            Trace::All {
                at,
                result,
                conditions,
            }
        }
        Condition::Any(items) => {
            let conditions = children(items, event, &format!("{at}.any"));
            let result = conditions.iter().any(Trace::result);
            Trace::Any {
                at,
                result,
                conditions,
            }
        }
        Condition::Not(inner) => {
            let condition = trace(inner, event, format!("{at}.not"));
            Trace::Not {
                at,
                result: !condition.result(),
                condition: Box::new(condition),
            }
        }
        Condition::Leaf(leaf) => Trace::Leaf(leaf_trace(leaf, event, at)),
    }
}

fn children(items: &[Condition], event: &Value, at: &str) -> Vec<Trace> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| trace(item, event, format!("{at}[{i}]")))
        .collect()
}

fn leaf_trace(leaf: &Leaf, event: &Value, at: String) -> LeafTrace {
    let actual = leaf.path().resolve(event);
    let truncated = actual.is_some_and(|v| json_size(v) > MAX_TRACED_VALUE_BYTES);
    LeafTrace {
        at,
        path: leaf.path().to_string(),
        op: leaf.op(),
        value: leaf.value().clone(),
        found: actual.is_some(),
        actual_type: actual.map(json_type),
        actual: actual.filter(|_| !truncated).cloned(),
        truncated,
        result: compare(leaf.op(), actual, leaf.value()),
    }
}

/// Applies `op` to the value found at a path (`None`: missing) and the
/// operand.
pub fn compare(op: Operator, actual: Option<&Value>, operand: &Value) -> bool {
    match op {
        Operator::Exists => actual.is_some() == operand.as_bool().unwrap_or(true),
        Operator::Ne => !compare(Operator::Eq, actual, operand),
        _ => actual.is_some_and(|actual| holds(op, actual, operand)),
    }
}

/// The operators other than `exists` and `ne`, on a present value.
fn holds(op: Operator, actual: &Value, operand: &Value) -> bool {
    match op {
        Operator::Eq => json_eq(actual, operand),
        Operator::Lt => order(actual, operand) == Some(Ordering::Less),
        Operator::Lte => order(actual, operand).is_some_and(Ordering::is_le),
        Operator::Gt => order(actual, operand) == Some(Ordering::Greater),
        Operator::Gte => order(actual, operand).is_some_and(Ordering::is_ge),
        Operator::In => operand
            .as_array()
            .is_some_and(|items| items.iter().any(|item| json_eq(actual, item))),
        Operator::Contains => match actual {
            Value::String(text) => operand.as_str().is_some_and(|part| text.contains(part)),
            Value::Array(items) => items.iter().any(|item| json_eq(item, operand)),
            _ => false,
        },
        Operator::StartsWith => match (actual, operand) {
            (Value::String(text), Value::String(prefix)) => text.starts_with(prefix.as_str()),
            _ => false,
        },
        Operator::Ne | Operator::Exists => compare(op, Some(actual), operand),
    }
}

/// Numbers with numbers, strings with strings; anything else is unordered.
fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => number_order(a, b),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// Exact for integers of either sign and size, by `f64` otherwise.
fn number_order(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
        return Some(a.cmp(&b));
    }
    if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
        return Some(a.cmp(&b));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// JSON equality with numbers compared by value. Its recursion is bounded
/// by the shallower side, and operands nest at most a few levels.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => number_order(a, b) == Some(Ordering::Equal),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| json_eq(a, b)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
#[path = "evaluate_tests.rs"]
mod tests;
