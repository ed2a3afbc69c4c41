//! Plain YAML values as CloudFormation sees them: whether a value calls an
//! intrinsic function (in its short `!Tag` or long `Fn::` form), and keys
//! and scalars as text. Invariant: these helpers only look at a value as it
//! is written (or already resolved); they never consult parameters,
//! conditions or resources, so they give the same answer wherever they are
//! called.

use anyhow::{bail, Result};
use yaml_serde::Value;

/// The intrinsic function a value calls, if any: its name without `Fn::`
/// and its argument.
pub(super) fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let name = name.strip_prefix("Fn::").unwrap_or(name);
            Some((name.to_owned(), &tagged.value))
        }
        Value::Mapping(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next()?;
            let key = key.as_str()?;
            if key == "Ref" {
                Some(("Ref".to_owned(), arg))
            } else {
                key.strip_prefix("Fn::").map(|name| (name.to_owned(), arg))
            }
        }
        _ => None,
    }
}

pub(super) fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

/// A resolved scalar as text (numbers and booleans as CloudFormation
/// passes them).
pub(super) fn scalar_text(value: &Value, path: &str) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => bail!("{path}: expected a value, found nothing"),
        Value::Sequence(_) => bail!("{path}: expected a single value, found a list"),
        Value::Mapping(_) => bail!("{path}: expected a single value, found a mapping"),
        Value::Tagged(t) => bail!("{path}: unexpected tag {}", t.tag),
    }
}

/// An intrinsic's argument that must be written as a plain name; else
/// the error `{path}: {takes}` (e.g. `Ref takes a logical id …`).
pub(super) fn name_arg<'v>(arg: &'v Value, path: &str, takes: &str) -> Result<&'v str> {
    match arg.as_str() {
        Some(name) => Ok(name),
        None => bail!("{path}: {takes}"),
    }
}

/// The scalar at `key` of a mapping as text; an error naming
/// `{path}.{key}` when it is missing or not a single value.
pub(super) fn field_text(value: &Value, key: &str, path: &str) -> Result<String> {
    let path = format!("{path}.{key}");
    match value.get(key) {
        Some(field) => scalar_text(field, &path),
        None => bail!("{path}: missing"),
    }
}

#[cfg(test)]
mod tests {
    use crate::template::test_support::{ctx, env};

    #[test]
    fn numbers_and_booleans_become_text() {
        let vars = env(&["N: 42", "B: true"], &ctx());
        assert_eq!(vars["N"], "42");
        assert_eq!(vars["B"], "true");
    }
}
