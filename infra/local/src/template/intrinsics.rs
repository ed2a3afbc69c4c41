//! Resolution of CloudFormation intrinsic functions to local values:
//! `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If`,
//! `Fn::FindInMap`, `Fn::Base64`, `Fn::GetAZs`, and the dispatch of `Ref`,
//! `Fn::GetAtt` and the condition functions. Invariant: a resolved value
//! holds no intrinsic call any more; `AWS::NoValue` resolves to `None` and
//! drops the key or item that holds it; dynamic references
//! (`{{resolve:…}}`) stay as text; and every error names the place of the
//! value being resolved.

use super::reader::Reader;
use super::values::{intrinsic, key_text, name_arg, scalar_text};
use anyhow::{anyhow, bail, Result};
use base64::Engine;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use yaml_serde::{Mapping, Value};

impl Reader<'_> {
    /// Resolves every intrinsic in `value`; `None` is `AWS::NoValue`.
    pub(super) fn resolve(&self, value: &Value, path: &str) -> Result<Option<Value>> {
        if let Some((name, arg)) = intrinsic(value) {
            return self.call(&name, arg, path);
        }
        Ok(Some(match value {
            Value::Mapping(map) => {
                let mut out = Mapping::new();
                for (key, item) in map {
                    let item_path = format!("{path}.{}", key_text(key));
                    if let Some(resolved) = self.resolve(item, &item_path)? {
                        out.insert(key.clone(), resolved);
                    }
                }
                Value::Mapping(out)
            }
            Value::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(resolved) = self.resolve(item, &format!("{path}[{i}]"))? {
                        out.push(resolved);
                    }
                }
                Value::Sequence(out)
            }
            other => other.clone(),
        }))
    }

    pub(super) fn resolve_value(&self, value: &Value, path: &str) -> Result<Value> {
        self.resolve(value, path)?
            .ok_or_else(|| anyhow!("{path}: AWS::NoValue is not allowed here"))
    }

    pub(super) fn resolve_text(&self, value: &Value, path: &str) -> Result<String> {
        scalar_text(&self.resolve_value(value, path)?, path)
    }

    pub(super) fn resolve_list(&self, value: &Value, path: &str) -> Result<Vec<String>> {
        match self.resolve_value(value, path)? {
            Value::Sequence(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| scalar_text(item, &format!("{path}[{i}]")))
                .collect(),
            _ => bail!("{path}: expected a list"),
        }
    }

    pub(super) fn args<'v>(
        &self,
        name: &str,
        arg: &'v Value,
        count: RangeInclusive<usize>,
        path: &str,
    ) -> Result<&'v [Value]> {
        match arg {
            Value::Sequence(items) if count.contains(&items.len()) => Ok(items),
            _ if count.start() == count.end() => {
                bail!(
                    "{path}: Fn::{name} takes a list of {} arguments",
                    count.start()
                )
            }
            _ => bail!(
                "{path}: Fn::{name} takes a list of {} to {} arguments",
                count.start(),
                count.end()
            ),
        }
    }

    fn call(&self, name: &str, arg: &Value, path: &str) -> Result<Option<Value>> {
        match name {
            "Ref" => {
                let target = name_arg(arg, path, "Ref takes a logical id or parameter name")?;
                self.reference(target, path)
            }
            "GetAtt" => {
                let (id, attribute) = self.get_att_args(arg, path)?;
                Ok(Some(Value::String(self.get_att(&id, &attribute, path)?)))
            }
            "Sub" => Ok(Some(Value::String(self.sub(arg, path)?))),
            "Join" => {
                let a = self.args(name, arg, 2..=2, path)?;
                let delimiter = self.resolve_text(&a[0], &format!("{path}[0]"))?;
                let items = self.resolve_list(&a[1], &format!("{path}[1]"))?;
                Ok(Some(Value::String(items.join(&delimiter))))
            }
            "Select" => {
                let a = self.args(name, arg, 2..=2, path)?;
                let index = self.resolve_text(&a[0], &format!("{path}[0]"))?;
                let index: usize = index.trim().parse().map_err(|_| {
                    anyhow!("{path}[0]: Fn::Select index {index:?} is not a number")
                })?;
                match self.resolve_value(&a[1], &format!("{path}[1]"))? {
                    Value::Sequence(items) => items.get(index).cloned().map(Some).ok_or_else(|| {
                        anyhow!(
                            "{path}: Fn::Select index {index} is out of range (the list has {} items)",
                            items.len()
                        )
                    }),
                    _ => bail!("{path}[1]: Fn::Select needs a list"),
                }
            }
            "Split" => {
                let a = self.args(name, arg, 2..=2, path)?;
                let delimiter = self.resolve_text(&a[0], &format!("{path}[0]"))?;
                if delimiter.is_empty() {
                    bail!("{path}[0]: Fn::Split needs a non-empty delimiter");
                }
                let source = self.resolve_text(&a[1], &format!("{path}[1]"))?;
                Ok(Some(Value::Sequence(
                    source
                        .split(delimiter.as_str())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                )))
            }
            "If" => {
                let a = self.args(name, arg, 3..=3, path)?;
                let condition = a[0]
                    .as_str()
                    .ok_or_else(|| anyhow!("{path}[0]: Fn::If needs a condition name"))?;
                if self.condition(condition, path)? {
                    self.resolve(&a[1], &format!("{path}[1]"))
                } else {
                    self.resolve(&a[2], &format!("{path}[2]"))
                }
            }
            "Equals" | "Not" | "And" | "Or" | "Condition" => {
                Ok(Some(Value::Bool(self.condition_function(name, arg, path)?)))
            }
            "FindInMap" => {
                let a = self.args(name, arg, 3..=3, path)?;
                let map_name = self.resolve_text(&a[0], &format!("{path}[0]"))?;
                let top = self.resolve_text(&a[1], &format!("{path}[1]"))?;
                let second = self.resolve_text(&a[2], &format!("{path}[2]"))?;
                let found = self
                    .mappings
                    .and_then(|m| m.get(map_name.as_str()))
                    .ok_or_else(|| anyhow!("{path}: no mapping {map_name} in Mappings"))?
                    .get(top.as_str())
                    .ok_or_else(|| anyhow!("{path}: Mappings.{map_name} has no key {top}"))?
                    .get(second.as_str())
                    .ok_or_else(|| {
                        anyhow!("{path}: Mappings.{map_name}.{top} has no key {second}")
                    })?;
                self.resolve(found, &format!("Mappings.{map_name}.{top}.{second}"))
            }
            "Base64" => {
                let text = self.resolve_text(arg, path)?;
                Ok(Some(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(text),
                )))
            }
            "GetAZs" => Ok(Some(Value::Sequence(
                ["a", "b", "c"]
                    .iter()
                    .map(|zone| Value::String(format!("{}{zone}", self.region)))
                    .collect(),
            ))),
            other => bail!("{path}: Fn::{other} is not supported locally"),
        }
    }

    fn sub(&self, arg: &Value, path: &str) -> Result<String> {
        let mut variables = BTreeMap::new();
        let text = match arg {
            Value::String(text) => text.as_str(),
            Value::Sequence(items) if (1..=2).contains(&items.len()) => {
                if let Some(map) = items.get(1) {
                    let map = map
                        .as_mapping()
                        .ok_or_else(|| anyhow!("{path}[1]: Fn::Sub variables must be a mapping"))?;
                    for (key, value) in map {
                        let key = key_text(key);
                        let value = self.resolve_text(value, &format!("{path}[1].{key}"))?;
                        variables.insert(key, value);
                    }
                }
                items[0]
                    .as_str()
                    .ok_or_else(|| anyhow!("{path}[0]: Fn::Sub needs a string"))?
            }
            _ => bail!("{path}: Fn::Sub takes a string or [string, {{variables}}]"),
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                out.push_str(&self.sub_variable(name.trim(), &variables, path)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn sub_variable(
        &self,
        name: &str,
        variables: &BTreeMap<String, String>,
        path: &str,
    ) -> Result<String> {
        if let Some(value) = variables.get(name) {
            return Ok(value.clone());
        }
        if !name.starts_with("AWS::") {
            if let Some((id, attribute)) = name.split_once('.') {
                return self.get_att(id, attribute, path);
            }
        }
        match self.reference(name, path)? {
            Some(Value::Sequence(_)) => {
                bail!("{path}: ${{{name}}} is a list; join it with Fn::Join first")
            }
            Some(value) => scalar_text(&value, path),
            None => bail!("{path}: ${{{name}}}: AWS::NoValue cannot be substituted"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::template::test_support::{assert_resolves, assert_var_refused, ctx, env};

    #[test]
    fn no_value_removes_the_key() {
        let vars = env(
            &[
                "A: !If [IsProd, prod-only, !Ref AWS::NoValue]",
                "B: !If [IsDev, dev, !Ref AWS::NoValue]",
            ],
            &ctx(),
        );
        assert!(!vars.contains_key("A"));
        assert_eq!(vars["B"], "dev");
    }

    #[test]
    fn sub_with_every_kind_of_variable() {
        assert_resolves(&[
            (
                "!Sub '${Environment}/${Table}/${Queue.Arn}/${AWS::Region}/${!Literal}/${AWS::AccountId}'",
                "dev/app-dev/arn:aws:sqs:eu-west-1:111122223333:jobs-dev/eu-west-1/${Literal}/111122223333",
            ),
            ("!Sub ['${Name}-${Environment}', {Name: !Ref Table}]", "app-dev-dev"),
            ("{'Fn::Sub': 'x-${Environment}'}", "x-dev"),
            // Dynamic references stay as text.
            (
                "!Sub '{{resolve:ssm:/app/${Environment}/key}}'",
                "{{resolve:ssm:/app/dev/key}}",
            ),
        ]);
    }

    #[test]
    fn join_select_split_base64_find_in_map() {
        assert_resolves(&[
            ("!Join [',', !Ref Origins]", "http://a.test,http://b.test"),
            ("{'Fn::Join': ['-', [a, !Ref Environment, 3]]}", "a-dev-3"),
            ("!Select [1, !Ref Origins]", "http://b.test"),
            ("!Select [0, !Split ['/', 'a/b/c']]", "a"),
            ("!Base64 hello", "aGVsbG8="),
            ("!FindInMap [Sizes, !Ref Environment, Memory]", "256"),
        ]);
    }

    #[test]
    fn misused_or_unsupported_intrinsics_are_errors_naming_the_problem_and_place() {
        assert_var_refused(&[
            ("!Sub '${Origins}'", &["is a list"]),
            ("!Sub '${Nope}'", &["Nope"]),
            ("!Select [5, !Ref Origins]", &["out of range"]),
            ("!FindInMap [Sizes, prod, Memory]", &["has no key prod"]),
            (
                "!ImportValue shared-thing",
                &[
                    "Resources.Fn.Properties.Environment.Variables.X",
                    "Fn::ImportValue is not supported locally",
                ],
            ),
            ("[a, b]", &["found a list"]),
        ]);
    }
}
