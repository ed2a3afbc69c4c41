//! Parsing a condition from JSON: every problem is collected with the path
//! of the field at fault (never only the first), the nesting and leaf
//! limits are enforced, and an operand is checked against its operator and
//! against what is known of its path's type.

use super::super::path::{FieldPath, PathType};
use super::super::{a_json_type, json_depth, json_size, Problems};
use super::{
    Condition, Leaf, Operator, MAX_IN_VALUES, MAX_LEAVES, MAX_NESTING, MAX_OPERAND_BYTES,
    MAX_OPERAND_NESTING,
};
use serde_json::{Map, Value};

const SHAPES: &str = r#"must be an object: {"all": [...]}, {"any": [...]}, {"not": {...}} or {"path": ..., "op": ..., "value": ...}"#;
const COMBINATORS: [&str; 3] = ["all", "any", "not"];
const LEAF_FIELDS: [&str; 3] = ["path", "op", "value"];

#[derive(Default)]
pub(super) struct Parser {
    pub(super) problems: Problems,
    pub(super) leaves: usize,
}

impl Parser {
    fn problem(&mut self, at: String, message: impl Into<String>) {
        self.problems.push((at, message.into()));
    }

    /// `enclosing` counts the `all`/`any`/`not` around this condition.
    pub(super) fn condition(
        &mut self,
        input: &Value,
        at: &str,
        enclosing: usize,
    ) -> Option<Condition> {
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
    // What the path is, for the messages: `{path} is {kind}: ...`.
    let refuse = |field: &'static str, kind: &str, advice: String| {
        Err((field, format!("{path} is {kind}: {advice}")))
    };
    let compare_with = |kind: &str| refuse("value", kind, format!("compare it with {kind}"));
    const PAIR: &str = "a [before, after] pair";
    match path.path_type() {
        PathType::Dynamic => Ok(()),
        PathType::String if all_of(Value::is_string) => Ok(()),
        PathType::String => compare_with("a string"),
        PathType::Number if matches!(op, Operator::Contains | Operator::StartsWith) => refuse(
            "op",
            "a number",
            "use eq, ne, lt, lte, gt, gte, in or exists".into(),
        ),
        PathType::Number if all_of(Value::is_number) => Ok(()),
        PathType::Number => compare_with("a number"),
        PathType::Pair => match op {
            Operator::Contains => Ok(()),
            Operator::Eq | Operator::Ne if value.is_array() => Ok(()),
            Operator::Eq | Operator::Ne => refuse("value", PAIR, "compare it with an array".into()),
            _ => refuse(
                "op",
                PAIR,
                format!(
                    "use eq, ne, contains or exists on it, \
                     or {path}.0 (before) / {path}.1 (after) to compare one side"
                ),
            ),
        },
        PathType::Object => match op {
            Operator::Eq | Operator::Ne if value.is_object() => Ok(()),
            Operator::Eq | Operator::Ne => compare_with("an object"),
            _ => refuse(
                "op",
                "an object",
                "use exists, eq or ne on it, or a path into it".into(),
            ),
        },
    }
}
