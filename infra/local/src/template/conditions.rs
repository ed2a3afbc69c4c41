//! Template `Conditions` and the condition functions (`Fn::Equals`,
//! `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`), and which conditional
//! resources are created. Invariant: each condition is evaluated at most
//! once and its value cached; a condition that depends on itself is an
//! error naming it, never an endless evaluation, and a failed evaluation
//! leaves nothing cached.

use super::reader::Reader;
use super::values::{intrinsic, name_arg, scalar_text};
use anyhow::{anyhow, bail, Result};
use yaml_serde::Value;

impl Reader<'_> {
    /// Marks as created (clears `skipped_by`) every resource whose
    /// `Condition` is true.
    pub(super) fn create_conditional_resources(&mut self) -> Result<()> {
        let mut created = Vec::new();
        for id in &self.order {
            if let Some(condition) = self.resources.get(id).and_then(|r| r.skipped_by.clone()) {
                let path = format!("Resources.{id}.Condition");
                if self.condition(&condition, &path)? {
                    created.push(id.clone());
                }
            }
        }
        for id in created {
            if let Some(resource) = self.resources.get_mut(&id) {
                resource.skipped_by = None;
            }
        }
        Ok(())
    }

    pub(super) fn condition(&self, name: &str, path: &str) -> Result<bool> {
        match self.condition_values.borrow().get(name) {
            Some(Some(value)) => return Ok(*value),
            Some(None) => bail!("{path}: condition {name} refers to itself"),
            None => {}
        }
        let def = *self
            .conditions
            .get(name)
            .ok_or_else(|| anyhow!("{path}: no condition {name} in Conditions"))?;
        self.condition_values
            .borrow_mut()
            .insert(name.to_owned(), None);
        let value = self.evaluate_condition(def, &format!("Conditions.{name}"));
        match &value {
            Ok(v) => self
                .condition_values
                .borrow_mut()
                .insert(name.to_owned(), Some(*v)),
            Err(_) => self.condition_values.borrow_mut().remove(name),
        };
        value
    }

    fn evaluate_condition(&self, value: &Value, path: &str) -> Result<bool> {
        let call = match value {
            Value::Mapping(map) if map.len() == 1 && map.contains_key("Condition") => map
                .get("Condition")
                .map(|arg| ("Condition".to_owned(), arg)),
            _ => intrinsic(value),
        };
        match (call, value) {
            (Some((name, arg)), _)
                if matches!(name.as_str(), "Equals" | "Not" | "And" | "Or" | "Condition") =>
            {
                self.condition_function(&name, arg, path)
            }
            (None, Value::Bool(b)) => Ok(*b),
            _ => bail!(
                "{path}: expected a condition (Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition)"
            ),
        }
    }

    pub(super) fn condition_function(&self, name: &str, arg: &Value, path: &str) -> Result<bool> {
        match name {
            "Condition" => {
                let condition = name_arg(arg, path, "Condition takes a condition name")?;
                self.condition(condition, path)
            }
            "Equals" => {
                let a = self.args(name, arg, 2..=2, path)?;
                let left = self.resolve(&a[0], &format!("{path}[0]"))?;
                let right = self.resolve(&a[1], &format!("{path}[1]"))?;
                Ok(values_equal(&left, &right))
            }
            "Not" => {
                let a = self.args(name, arg, 1..=1, path)?;
                Ok(!self.evaluate_condition(&a[0], &format!("{path}[0]"))?)
            }
            "And" | "Or" => {
                let a = self.args(name, arg, 2..=10, path)?;
                let mut values = Vec::with_capacity(a.len());
                for (i, item) in a.iter().enumerate() {
                    values.push(self.evaluate_condition(item, &format!("{path}[{i}]"))?);
                }
                Ok(if name == "And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })
            }
            other => bail!("{path}: Fn::{other} is not a condition function"),
        }
    }
}

fn values_equal(a: &Option<Value>, b: &Option<Value>) -> bool {
    match (a, b) {
        (Some(Value::Sequence(x)), Some(Value::Sequence(y))) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(x, y)| values_equal(&Some(x.clone()), &Some(y.clone())))
        }
        (Some(x), Some(y)) => match (scalar_text(x, ""), scalar_text(y, "")) {
            (Ok(x), Ok(y)) => x == y,
            _ => x == y,
        },
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::template::parse;
    use crate::template::test_support::{
        assert_resolves, assert_var_refused, ctx, ctx_with, env, error, with_variables,
    };

    #[test]
    fn if_with_conditions() {
        assert_resolves(&[
            ("!If [IsProd, p, d]", "d"),
            ("{'Fn::If': [IsDev, d, p]}", "d"),
            ("!If [NotProd, yes, no]", "yes"),
            ("!If [DevAndDebug, yes, no]", "no"),
            ("!If [DevOrProd, yes, no]", "yes"),
        ]);
        for (parameter, value, expression, expected) in [
            ("Level", "debug", "!If [DevAndDebug, yes, no]", "yes"),
            ("Environment", "prod", "!If [IsProd, p, d]", "p"),
        ] {
            let vars = env(
                &[&format!("X: {expression}")],
                &ctx_with(&[(parameter, value)]),
            );
            assert_eq!(vars["X"], expected, "{parameter}={value}: {expression}");
        }
        assert_var_refused(&[("!If [Nope, a, b]", &["no condition Nope"])]);
    }

    #[test]
    fn a_true_condition_creates_the_resource() {
        let template = parse(
            &with_variables(&["X: !Ref ProdOnly"]),
            &ctx_with(&[("Environment", "prod")]),
        )
        .unwrap();
        assert!(template.queue("ProdOnly").is_some());
        let template = parse(&with_variables(&["X: a"]), &ctx()).unwrap();
        assert!(template.queue("ProdOnly").is_none());
    }

    #[test]
    fn condition_cycles_are_errors() {
        let yaml = "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Condition: A\n";
        assert!(error(yaml, &ctx()).contains("refers to itself"));
    }
}
