//! The condition language: when a triggered rule acts.
//!
//! A condition is a JSON object of one of four shapes:
//!
//! ```json
//! {"path": "data.amount", "op": "lt", "value": 1000}
//! {"all": [ <condition>, … ]}
//! {"any": [ <condition>, … ]}
//! {"not": <condition>}
//! ```
//!
//! A *leaf* (`path`, `op`, `value`) compares the value at `path` in the
//! event envelope (see [`super::path`]) with the operand `value`. `all` is
//! true when every listed condition is, `any` when at least one is, `not`
//! when its condition is false. For example, "an approval over 10 000 filed
//! by someone other than an admin, or any approval of the finance workflow":
//!
//! ```json
//! {"any": [
//!   {"all": [
//!     {"path": "data.amount", "op": "gt", "value": 10000},
//!     {"not": {"path": "actor.role", "op": "eq", "value": "admin"}}
//!   ]},
//!   {"path": "data.workflow_name", "op": "starts_with", "value": "Finance"}
//! ]}
//! ```
//!
//! and "the status just became APPROVED":
//! `{"path": "changes.status.1", "op": "eq", "value": "APPROVED"}`.
//!
//! # Operators and operands
//!
//! | op | operand (`value`) | true when the value at `path`… |
//! |---|---|---|
//! | `eq` | any JSON | equals the operand |
//! | `ne` | any JSON | does not equal the operand (so also when missing) |
//! | `lt`, `lte`, `gt`, `gte` | number or string | is a number and compares so with a number operand, or a string and compares so with a string operand |
//! | `in` | non-empty array (≤ 100 values) | equals one of its values |
//! | `contains` | string, number, boolean or null | is a string containing the (string) operand, or an array with an element equal to it |
//! | `starts_with` | string | is a string starting with it |
//! | `exists` | `true` (the default when `value` is left out) or `false` | is present (`true`), or absent (`false`) |
//!
//! Typing rules:
//! - Equality is JSON equality, except that numbers compare by value
//!   (`1` equals `1.0`). Arrays and objects are equal when their elements
//!   and members are.
//! - Strings order lexicographically by Unicode code point, so RFC 3339 UTC
//!   timestamps (as the platform writes them) order chronologically:
//!   `{"path": "data.due_at", "op": "lt", "value": "2026-07-01T00:00:00Z"}`.
//! - A missing value makes every operator false except `exists` (with
//!   `false`) and `ne`: `ne` is always exactly `not eq`. To require a value
//!   that is present and different, combine `exists` and `ne` under `all`.
//! - JSON `null` is a value: `exists` is true for a field holding `null`,
//!   and `{"op": "eq", "value": null}` matches it.
//! - A value of another type than the operand (a string where a number is
//!   expected) makes the comparison false (and `ne` true), never an error.
//! - Where the envelope's own type is known (`depth` is a number; `type`,
//!   `entity`, `entity_id`, `actor.id`, `actor.role` are strings;
//!   `changes.<field>` is a `[before, after]` pair), an operator or operand
//!   that can never apply is refused when the rule is written.
//!
//! # Limits and errors
//!
//! `all`, `any` and `not` nest at most [`MAX_NESTING`] levels; a rule has
//! at most [`MAX_LEAVES`] leaves; `all` and `any` list at least one
//! condition (an empty list is almost certainly a mistake; a rule without
//! conditions is written by leaving `conditions` out). An operand is at most
//! [`MAX_OPERAND_BYTES`] bytes of JSON, nested at most [`MAX_OPERAND_NESTING`]
//! levels. Every problem is reported with its path inside the rule, such as
//! `conditions.any[0].all[1].value`.

use super::path::{FieldPath, PathType};
use super::{a_json_type, json_depth, json_size, Problems};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// How many levels of `all`/`any`/`not` may nest.
pub const MAX_NESTING: usize = 10;
/// How many leaves a rule's conditions may have.
pub const MAX_LEAVES: usize = 50;
/// The largest operand, as compact JSON.
pub const MAX_OPERAND_BYTES: usize = 4096;
/// How deeply an operand may nest.
pub const MAX_OPERAND_NESTING: usize = 8;
/// The most values an `in` operand may list.
pub const MAX_IN_VALUES: usize = 100;

/// A validated condition. Its JSON form is the one described in the module
/// documentation, and reading it back (`Deserialize`) runs the same checks
/// as [`Condition::parse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "Value")]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    #[serde(untagged)]
    Leaf(Leaf),
}

/// A comparison of the value at `path` with an operand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leaf {
    path: FieldPath,
    op: Operator,
    value: Value,
}

impl Leaf {
    pub fn path(&self) -> &FieldPath {
        &self.path
    }

    pub fn op(&self) -> Operator {
        self.op
    }

    /// The operand; for `exists`, the boolean it was given (default `true`).
    pub fn value(&self) -> &Value {
        &self.value
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Contains,
    StartsWith,
    Exists,
}

impl Operator {
    pub const ALL: [Operator; 10] = [
        Self::Eq,
        Self::Ne,
        Self::Lt,
        Self::Lte,
        Self::Gt,
        Self::Gte,
        Self::In,
        Self::Contains,
        Self::StartsWith,
        Self::Exists,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Lt => "lt",
            Self::Lte => "lte",
            Self::Gt => "gt",
            Self::Gte => "gte",
            Self::In => "in",
            Self::Contains => "contains",
            Self::StartsWith => "starts_with",
            Self::Exists => "exists",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == input)
    }

    fn is_ordering(self) -> bool {
        matches!(self, Self::Lt | Self::Lte | Self::Gt | Self::Gte)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Condition {
    /// Where a rule keeps its conditions; the root of every problem's path.
    pub const ROOT: &'static str = "conditions";

    /// Parses a rule's `conditions`, returning every problem with its path.
    pub fn parse(input: &Value) -> Result<Self, Problems> {
        let mut parser = Parser::default();
        let condition = parser.condition(input, Self::ROOT, 0);
        if parser.leaves > MAX_LEAVES {
            parser.problems.push((
                Self::ROOT.to_owned(),
                format!("must have at most {MAX_LEAVES} comparisons in all"),
            ));
        }
        match condition {
            Some(condition) if parser.problems.is_empty() => Ok(condition),
            _ => Err(parser.problems),
        }
    }

    /// How many leaves this condition has.
    pub fn leaf_count(&self) -> usize {
        match self {
            Self::All(items) | Self::Any(items) => items.iter().map(Self::leaf_count).sum(),
            Self::Not(inner) => inner.leaf_count(),
            Self::Leaf(_) => 1,
        }
    }
}

impl TryFrom<Value> for Condition {
    type Error = String;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        Self::parse(&value).map_err(|problems| {
            let parts: Vec<String> = problems
                .into_iter()
                .map(|(path, message)| format!("{path}: {message}"))
                .collect();
            parts.join("; ")
        })
    }
}

const SHAPES: &str = r#"must be an object: {"all": [...]}, {"any": [...]}, {"not": {...}} or {"path": ..., "op": ..., "value": ...}"#;
const COMBINATORS: [&str; 3] = ["all", "any", "not"];
const LEAF_FIELDS: [&str; 3] = ["path", "op", "value"];

#[derive(Default)]
struct Parser {
    problems: Problems,
    leaves: usize,
}

impl Parser {
    fn problem(&mut self, at: String, message: impl Into<String>) {
        self.problems.push((at, message.into()));
    }

    /// `enclosing` counts the `all`/`any`/`not` around this condition.
    fn condition(&mut self, input: &Value, at: &str, enclosing: usize) -> Option<Condition> {
        let Value::Object(fields) = input else {
            self.problem(at.to_owned(), SHAPES);
            return None;
        };
        for key in fields.keys() {
            if !COMBINATORS.contains(&key.as_str()) && !LEAF_FIELDS.contains(&key.as_str()) {
                self.problem(
                    format!("{at}.{key}"),
                    "is not a known field: a condition has one of all, any, not, \
                     or path, op and value",
                );
            }
        }
        let combinators: Vec<&str> = COMBINATORS
            .into_iter()
            .filter(|k| fields.contains_key(*k))
            .collect();
        let is_leaf = LEAF_FIELDS.iter().any(|k| fields.contains_key(*k));
        match (combinators.as_slice(), is_leaf) {
            ([], true) => self.leaf(fields, at),
            ([combinator], false) => {
                if enclosing >= MAX_NESTING {
                    self.problem(
                        at.to_owned(),
                        format!("must not nest all, any and not more than {MAX_NESTING} levels"),
                    );
                    return None;
                }
                let inner = &fields[*combinator];
                let inner_at = format!("{at}.{combinator}");
                match *combinator {
                    "not" => self
                        .condition(inner, &inner_at, enclosing + 1)
                        .map(|c| Condition::Not(Box::new(c))),
                    "all" => self.list(inner, &inner_at, enclosing).map(Condition::All),
                    _ => self.list(inner, &inner_at, enclosing).map(Condition::Any),
                }
            }
            ([], false) if fields.is_empty() => {
                self.problem(at.to_owned(), SHAPES);
                None
            }
            ([], false) => None,
            _ => {
                self.problem(
                    at.to_owned(),
                    "must have exactly one of all, any, not, or else path, op and value",
                );
                None
            }
        }
    }

    fn list(&mut self, input: &Value, at: &str, enclosing: usize) -> Option<Vec<Condition>> {
        let Value::Array(items) = input else {
            self.problem(at.to_owned(), "must be an array of conditions");
            return None;
        };
        if items.is_empty() {
            self.problem(at.to_owned(), "must list at least one condition");
            return None;
        }
        if items.len() > MAX_LEAVES {
            self.problem(
                at.to_owned(),
                format!("must list at most {MAX_LEAVES} conditions"),
            );
            return None;
        }
        let mut parsed = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if self.leaves > MAX_LEAVES {
                return None;
            }
            parsed.push(self.condition(item, &format!("{at}[{i}]"), enclosing + 1));
        }
        parsed.into_iter().collect()
    }

    fn leaf(&mut self, fields: &Map<String, Value>, at: &str) -> Option<Condition> {
        self.leaves += 1;
        let path = match fields.get("path") {
            None => {
                self.problem(format!("{at}.path"), "is required");
                None
            }
            Some(Value::String(text)) => match FieldPath::parse(text) {
                Ok(path) => Some(path),
                Err(message) => {
                    self.problem(format!("{at}.path"), message);
                    None
                }
            },
            Some(_) => {
                self.problem(
                    format!("{at}.path"),
                    r#"must be a string such as "data.amount""#,
                );
                None
            }
        };
        let op = match fields.get("op") {
            None => {
                self.problem(format!("{at}.op"), "is required");
                None
            }
            Some(value) => {
                let op = value.as_str().and_then(Operator::parse);
                if op.is_none() {
                    self.problem(format!("{at}.op"), operator_list());
                }
                op
            }
        };
        let op = op?;
        let value = match operand(op, fields.get("value")) {
            Ok(value) => value,
            Err(message) => {
                self.problem(format!("{at}.value"), message);
                return None;
            }
        };
        let path = path?;
        if let Err((field, message)) = fits_path(&path, op, &value) {
            self.problem(format!("{at}.{field}"), message);
            return None;
        }
        Some(Condition::Leaf(Leaf { path, op, value }))
    }
}

fn operator_list() -> String {
    let names: Vec<&str> = Operator::ALL.iter().map(|op| op.as_str()).collect();
    format!("must be one of {}", names.join(", "))
}

/// Checks an operand against its operator, whatever the path.
fn operand(op: Operator, given: Option<&Value>) -> Result<Value, String> {
    let Some(value) = given else {
        return match op {
            Operator::Exists => Ok(Value::Bool(true)),
            _ => Err(format!("is required for {op}")),
        };
    };
    if json_size(value) > MAX_OPERAND_BYTES {
        return Err(format!("must be at most {MAX_OPERAND_BYTES} bytes of JSON"));
    }
    if json_depth(value) > MAX_OPERAND_NESTING {
        return Err(format!("must nest at most {MAX_OPERAND_NESTING} levels"));
    }
    let ok = match op {
        Operator::Eq | Operator::Ne => true,
        _ if op.is_ordering() => value.is_number() || value.is_string(),
        Operator::In => {
            return match value {
                Value::Array(items) if items.is_empty() => {
                    Err("must list at least one value".into())
                }
                Value::Array(items) if items.len() > MAX_IN_VALUES => {
                    Err(format!("must list at most {MAX_IN_VALUES} values"))
                }
                Value::Array(_) => Ok(value.clone()),
                other => Err(format!(
                    r#"must be an array of values for in, such as ["PENDING", "APPROVED"], not {}"#,
                    a_json_type(other)
                )),
            };
        }
        Operator::Contains => !value.is_array() && !value.is_object(),
        Operator::StartsWith => value.is_string(),
        _ => value.is_boolean(),
    };
    if ok {
        return Ok(value.clone());
    }
    let expected = match op {
        Operator::Contains => {
            "a string (a substring) or a number, boolean or null (an array element)"
        }
        Operator::StartsWith => "a string",
        Operator::Exists => "true or false (or left out, meaning true)",
        _ => "a number or a string",
    };
    Err(format!(
        "must be {expected} for {op}, not {}",
        a_json_type(value)
    ))
}

/// Checks the operator and operand against what is known of the path's
/// type. The error names the field at fault: `op` or `value`.
fn fits_path(path: &FieldPath, op: Operator, value: &Value) -> Result<(), (&'static str, String)> {
    if op == Operator::Exists {
        return Ok(());
    }
    let all_of = |check: fn(&Value) -> bool| match (op, value) {
        (Operator::In, Value::Array(items)) => items.iter().all(check),
        _ => check(value),
    };
    match path.path_type() {
        PathType::Dynamic => Ok(()),
        PathType::String if all_of(Value::is_string) => Ok(()),
        PathType::String => Err((
            "value",
            format!("{path} is a string: compare it with a string"),
        )),
        PathType::Number if matches!(op, Operator::Contains | Operator::StartsWith) => Err((
            "op",
            format!("{path} is a number: use eq, ne, lt, lte, gt, gte, in or exists"),
        )),
        PathType::Number if all_of(Value::is_number) => Ok(()),
        PathType::Number => Err((
            "value",
            format!("{path} is a number: compare it with a number"),
        )),
        PathType::Pair => match op {
            Operator::Contains => Ok(()),
            Operator::Eq | Operator::Ne if value.is_array() => Ok(()),
            Operator::Eq | Operator::Ne => Err((
                "value",
                format!("{path} is a [before, after] pair: compare it with an array"),
            )),
            _ => Err((
                "op",
                format!(
                    "{path} is a [before, after] pair: use eq, ne, contains or exists on it, \
                     or {path}.0 (before) / {path}.1 (after) to compare one side"
                ),
            )),
        },
        PathType::Object => match op {
            Operator::Eq | Operator::Ne if value.is_object() => Ok(()),
            Operator::Eq | Operator::Ne => Err((
                "value",
                format!("{path} is an object: compare it with an object"),
            )),
            _ => Err((
                "op",
                format!("{path} is an object: use exists, eq or ne on it, or a path into it"),
            )),
        },
    }
}

#[cfg(test)]
#[path = "condition_tests.rs"]
mod tests;
