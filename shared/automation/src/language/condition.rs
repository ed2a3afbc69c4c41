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

mod parse;

use super::path::FieldPath;
use super::Problems;
use parse::Parser;
use serde::{Deserialize, Serialize};
use serde_json::Value;
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        Self::parse(&value).map_err(super::describe)
    }
}

#[cfg(test)]
#[path = "condition_tests.rs"]
mod tests;
