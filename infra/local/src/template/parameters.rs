//! Template `Parameters` and their local values: the context's override,
//! else the `Default`. Invariant: every declared parameter gets exactly one
//! value (a text, a list, or missing with the reason why), overrides and
//! defaults are checked against `AllowedValues` alike, a missing value is an
//! error only where the parameter is referenced, and an override naming no
//! declared parameter is reported, not silently ignored.

use super::values::{key_text, scalar_text};
use super::LocalContext;
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use yaml_serde::{Mapping, Value};

/// The value of a parameter.
#[derive(Debug, Clone)]
pub(super) enum ParamValue {
    Text(String),
    List(Vec<String>),
    /// No value; the reason, for the error raised when it is referenced.
    Missing(String),
}

/// The local value of every parameter `declared` (the `Parameters`
/// section); one line in `warnings` for each override of a parameter the
/// template does not declare.
pub(super) fn parameters(
    declared: Option<&Mapping>,
    ctx: &LocalContext,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, ParamValue>> {
    let mut params = BTreeMap::new();
    if let Some(parameters) = declared {
        for (name, def) in parameters {
            let name = key_text(name);
            let value = parameter_value(&name, def, ctx)?;
            params.insert(name, value);
        }
    }
    for name in ctx.parameters.keys() {
        if !params.contains_key(name) {
            warnings.push(format!(
                "parameter {name} is not declared in the template; its local value is not used"
            ));
        }
    }
    Ok(params)
}

/// A parameter's local value: the context's override, else its `Default`.
fn parameter_value(name: &str, def: &Value, ctx: &LocalContext) -> Result<ParamValue> {
    let path = format!("Parameters.{name}");
    let Value::Mapping(def) = def else {
        bail!("{path}: expected a mapping");
    };
    let kind = match def.get("Type") {
        Some(value) => scalar_text(value, &format!("{path}.Type"))?,
        None => bail!("{path}.Type: missing"),
    };
    let overridden = ctx.parameters.get(name).cloned();
    if overridden.is_none() && kind.starts_with("AWS::SSM::Parameter::Value<") {
        return Ok(ParamValue::Missing(
            "is read from SSM Parameter Store, which is not available locally; give it a local value"
                .to_owned(),
        ));
    }
    let list_type = kind == "CommaDelimitedList"
        || kind.starts_with("List<")
        || kind.starts_with("AWS::SSM::Parameter::Value<List<")
        || kind.starts_with("AWS::SSM::Parameter::Value<CommaDelimitedList");
    let value = match (overridden, def.get("Default")) {
        (Some(value), _) => value,
        (None, None) => {
            return Ok(ParamValue::Missing(
                "has no Default and no local value".to_owned(),
            ))
        }
        (None, Some(Value::Sequence(items))) if list_type => {
            let items = items
                .iter()
                .enumerate()
                .map(|(i, item)| scalar_text(item, &format!("{path}.Default[{i}]")))
                .collect::<Result<Vec<_>>>()?;
            items.join(",")
        }
        (None, Some(default)) => scalar_text(default, &format!("{path}.Default"))?,
    };
    let allowed = match def.get("AllowedValues") {
        Some(Value::Sequence(items)) => Some(
            items
                .iter()
                .map(|item| scalar_text(item, &format!("{path}.AllowedValues")))
                .collect::<Result<Vec<_>>>()?,
        ),
        _ => None,
    };
    let check = |value: &str| -> Result<()> {
        match &allowed {
            Some(allowed) if !allowed.iter().any(|a| a == value) => bail!(
                "{path}: {value:?} is not one of the AllowedValues {}",
                allowed.join(", ")
            ),
            _ => Ok(()),
        }
    };
    if list_type {
        let items: Vec<String> = if value.trim().is_empty() {
            Vec::new()
        } else {
            value.split(',').map(|s| s.trim().to_owned()).collect()
        };
        for item in &items {
            check(item)?;
        }
        Ok(ParamValue::List(items))
    } else {
        check(&value)?;
        Ok(ParamValue::Text(value))
    }
}

#[cfg(test)]
mod tests {
    use crate::template::parse;
    use crate::template::test_support::{
        assert_mentions, assert_resolves, assert_var_refused, ctx, ctx_with, env, error,
        with_variables,
    };

    #[test]
    fn ref_to_a_parameter_uses_the_override_else_the_default() {
        assert_resolves(&[("!Ref Environment", "dev"), ("{Ref: Environment}", "dev")]);
        let vars = env(
            &["X: !Ref Environment"],
            &ctx_with(&[("Environment", "qa")]),
        );
        assert_eq!(vars["X"], "qa");
    }

    #[test]
    fn a_parameter_without_default_or_override_is_an_error_naming_it() {
        assert_var_refused(&[(
            "!Ref Secret",
            &[
                "Resources.Fn.Properties.Environment.Variables.X",
                "parameter Secret has no Default",
            ],
        )]);
        let vars = env(&["X: !Ref Secret"], &ctx_with(&[("Secret", "s3cr3t")]));
        assert_eq!(vars["X"], "s3cr3t");
        // Unreferenced, it is no error.
        parse(&with_variables(&["X: a"]), &ctx()).unwrap();
    }

    #[test]
    fn allowed_values_are_checked() {
        let message = error(&with_variables(&["X: a"]), &ctx_with(&[("Level", "loud")]));
        assert_mentions(&message, &["Parameters.Level", "AllowedValues"]);
    }

    #[test]
    fn undeclared_parameter_overrides_are_reported() {
        let template = parse(&with_variables(&["X: a"]), &ctx_with(&[("Nope", "1")])).unwrap();
        assert!(template
            .warnings
            .iter()
            .any(|w| w.contains("parameter Nope is not declared")));
    }
}
