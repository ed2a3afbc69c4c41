//! Decision rules, in the one condition language: the conditions a
//! request of one workflow type must meet for an outcome, written as other
//! approval systems write them — a list of `{field, operator, value}`, all
//! of which must hold — each read as a leaf of the condition language on
//! `data.<field>` of the request (so `transaction.value` is the leaf
//! `{"path": "data.transaction.value", …}`) and checked by its parser and
//! evaluated by its evaluator. `neq` is accepted as the language's `ne`.
//!
//! A decision reads the conditions in order and stops at the first that
//! does not pass: `MISSING_FIELD:<field>` when the request lacks its
//! field (only `exists` may test an absent field), else
//! `RULE_FAILED:<field>` when it does not hold. When every one holds the
//! rule's outcome applies (`RULE_PASSED`). A rule without conditions
//! always applies.

use super::condition::{Condition, Operator};
use super::evaluate::Evaluation;
use super::Problems;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The most conditions a decision rule may have.
pub const MAX_CONDITIONS: usize = 50;

opsflow_platform::string_enum! {
    parse_error = "must be one of APPROVED, REJECTED, ESCALATED".to_owned();
    /// What a decision rule decides when its conditions hold.
    pub enum DecisionOutcome {
        Approved = "APPROVED",
        Rejected = "REJECTED",
        Escalated = "ESCALATED",
    }
}

/// One condition, as checked: its field (as the client named it), its
/// operator (as the client spelled it) and its leaf in the language.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionCondition {
    pub field: String,
    pub operator: String,
    pub value: Value,
    leaf: Condition,
}

/// A condition as it is stored and shown: the client's own words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DecisionCondition))]
pub struct ConditionView {
    /// A path into the request: `risk_score`, `transaction.value`.
    #[cfg_attr(feature = "openapi", schema(example = "transaction.value"))]
    pub field: String,
    /// `gt`, `gte`, `lt`, `lte`, `eq`, `neq` (or `ne`), and the language's
    /// `in`, `contains`, `starts_with`, `exists`.
    #[cfg_attr(feature = "openapi", schema(example = "gt"))]
    pub operator: String,
    /// The operand (for `exists`, `true` or `false`; `true` when left out).
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Value, required = false, example = 10000)
    )]
    pub value: Value,
}

impl DecisionCondition {
    pub fn view(&self) -> ConditionView {
        ConditionView {
            field: self.field.clone(),
            operator: self.operator.clone(),
            value: self.value.clone(),
        }
    }
}

/// The language's operator a decision rule's `operator` names.
fn operator(name: &str) -> Option<Operator> {
    match name {
        "neq" => Some(Operator::Ne),
        other => Operator::parse(other),
    }
}

/// Reads a rule's `conditions` (a JSON array), every problem named by its
/// place (`conditions[1].operator`).
pub fn parse_conditions(input: &Value) -> Result<Vec<DecisionCondition>, Problems> {
    let Value::Array(items) = input else {
        let message = "must be an array of {field, operator, value}";
        return Err(vec![("conditions".to_owned(), message.to_owned())]);
    };
    if items.len() > MAX_CONDITIONS {
        let message = format!("must list at most {MAX_CONDITIONS} conditions");
        return Err(vec![("conditions".to_owned(), message)]);
    }
    let mut problems = Problems::new();
    let mut parsed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = |name: &str| format!("conditions[{i}].{name}");
        let Value::Object(fields) = item else {
            let message = "must be an object: {field, operator, value}";
            problems.push((format!("conditions[{i}]"), message.to_owned()));
            continue;
        };
        for key in fields.keys() {
            if !["field", "operator", "value"].contains(&key.as_str()) {
                problems.push((at(key), "is not a known field".to_owned()));
            }
        }
        let field = match fields.get("field") {
            Some(Value::String(field)) if !field.is_empty() && !field.starts_with("data.") => {
                Some(field.clone())
            }
            Some(Value::String(_)) => {
                let message = "must be a path into the request, such as transaction.value";
                problems.push((at("field"), message.to_owned()));
                None
            }
            Some(_) => {
                problems.push((at("field"), "must be a string".to_owned()));
                None
            }
            None => {
                problems.push((at("field"), "is required".to_owned()));
                None
            }
        };
        let op = match fields.get("operator") {
            Some(Value::String(name)) => match operator(&name.to_ascii_lowercase()) {
                Some(op) => Some((name.to_ascii_lowercase(), op)),
                None => {
                    let message = "must be one of gt, gte, lt, lte, eq, neq (or ne), in, \
                                   contains, starts_with, exists";
                    problems.push((at("operator"), message.to_owned()));
                    None
                }
            },
            Some(_) => {
                problems.push((at("operator"), "must be a string".to_owned()));
                None
            }
            None => {
                problems.push((at("operator"), "is required".to_owned()));
                None
            }
        };
        let (Some(field), Some((name, op))) = (field, op) else {
            continue;
        };
        let value = fields.get("value").cloned();
        let mut leaf = json!({"path": format!("data.{field}"), "op": op.as_str()});
        if let Some(value) = &value {
            leaf["value"] = value.clone();
        } else if op != Operator::Exists {
            problems.push((at("value"), "is required".to_owned()));
            continue;
        }
        match Condition::parse(&leaf) {
            Ok(leaf) => parsed.push(DecisionCondition {
                field,
                operator: name,
                value: value.unwrap_or(Value::Bool(true)),
                leaf,
            }),
            Err(found) => {
                for (path, message) in found {
                    let name = match path.rsplit('.').next() {
                        Some("path") => "field",
                        Some("op") => "operator",
                        _ => "value",
                    };
                    problems.push((at(name), message));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

/// What a rule made of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every condition holds.
    Passed,
    /// The request lacks this field, which a condition needs.
    MissingField(String),
    /// This field's condition does not hold.
    Failed(String),
}

impl Verdict {
    /// Its reason, as the answer names it.
    pub fn reason(&self) -> String {
        match self {
            Self::Passed => "RULE_PASSED".to_owned(),
            Self::MissingField(field) => format!("MISSING_FIELD:{field}"),
            Self::Failed(field) => format!("RULE_FAILED:{field}"),
        }
    }
}

/// Decides `request` by `conditions`: the verdict, and the language's
/// evaluation of all of them (for the run's trace).
pub fn decide(conditions: &[DecisionCondition], request: &Value) -> (Verdict, Evaluation) {
    let all = Condition::All(conditions.iter().map(|c| c.leaf.clone()).collect());
    let evaluation = all.evaluate(&json!({"data": request}));
    let leaves = evaluation.trace.leaves();
    for (condition, leaf) in conditions.iter().zip(&leaves) {
        if !leaf.found && leaf.op != Operator::Exists {
            return (Verdict::MissingField(condition.field.clone()), evaluation);
        }
        if !leaf.result {
            return (Verdict::Failed(condition.field.clone()), evaluation);
        }
    }
    (Verdict::Passed, evaluation)
}

#[cfg(test)]
#[path = "decision_tests.rs"]
mod tests;
