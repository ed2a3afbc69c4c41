//! [`JsonObject`]: a client's free-form JSON object, bounded in size and
//! depth, with one field read or set by its path of keys
//! (`review.level` is `["review", "level"]`).
//!
//! Setting creates the objects on the way, but never replaces a value that
//! is not an object: turning a client's string into an object would
//! silently lose it. The result is checked like any object
//! ([`JsonObject::parse`]), so it is within its limits however it was made.
//! Messages name the object as an approval's `payload`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A client's free-form JSON object (an approval's payload, an item's
/// metadata): at most 16 KiB (as compact JSON) and at most 16 levels deep.
///
/// It is stored as its JSON text, not as a DynamoDB map: the platform never
/// queries into it, its numbers keep their exact form, and no client data
/// can produce an item DynamoDB types cannot express (an empty map, for
/// one, which DynamoDB Local's streams cannot even encode).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonObject(Value);

impl Serialize for JsonObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        serde_json::from_str(&text)
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

impl JsonObject {
    pub const MAX_BYTES: usize = 16 * 1024;
    pub const MAX_DEPTH: usize = 16;

    pub fn parse(input: Value) -> Result<Self, String> {
        if !input.is_object() {
            return Err("must be a JSON object".into());
        }
        let size = serde_json::to_vec(&input)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if size > Self::MAX_BYTES {
            return Err(format!("must be at most {} bytes of JSON", Self::MAX_BYTES));
        }
        if depth(&input) > Self::MAX_DEPTH {
            return Err(format!("must nest at most {} levels", Self::MAX_DEPTH));
        }
        Ok(Self(input))
    }

    pub fn empty() -> Self {
        Self(Value::Object(serde_json::Map::new()))
    }

    pub fn as_value(&self) -> &Value {
        &self.0
    }
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

impl JsonObject {
    /// The value at `path`, if there is one.
    pub fn field(&self, path: &[&str]) -> Option<&Value> {
        path.iter()
            .try_fold(&self.0, |value, key| value.as_object()?.get(*key))
    }

    /// This payload with `value` at `path`. Fails, with a message naming
    /// the paths as `payload.<path>`, when a value on the way is not an
    /// object or the result exceeds the payload's limits.
    pub fn with_field(&self, path: &[&str], value: Value) -> Result<JsonObject, String> {
        let Some((last, parents)) = path.split_last() else {
            return Err("the path names no field".into());
        };
        let full = format!("payload.{}", path.join("."));
        let mut root = self.0.clone();
        let mut object = root
            .as_object_mut()
            .ok_or_else(|| format!("cannot set {full}: the payload is not an object"))?;
        for (depth, key) in parents.iter().enumerate() {
            let entry = object
                .entry((*key).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            object = match entry {
                Value::Object(map) => map,
                other => {
                    return Err(format!(
                        "cannot set {full}: payload.{} is {}, not an object",
                        parents[..=depth].join("."),
                        kind(other),
                    ))
                }
            };
        }
        object.insert((*last).to_owned(), value);
        JsonObject::parse(root)
            .map_err(|problem| format!("cannot set {full}: the payload {problem}"))
    }
}

/// What a JSON value is, with its article, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn payload(value: Value) -> JsonObject {
        JsonObject::parse(value).unwrap()
    }

    #[test]
    fn setting_a_nested_field_creates_the_objects_on_the_way() {
        let before = payload(json!({"vendor": "Acme"}));

        let after = before.with_field(&["review", "level"], json!(2)).unwrap();

        assert_eq!(
            after.as_value(),
            &json!({"vendor": "Acme", "review": {"level": 2}})
        );
        assert_eq!(after.field(&["review", "level"]), Some(&json!(2)));
        assert_eq!(before.field(&["review", "level"]), None);
    }

    #[test]
    fn setting_a_field_keeps_its_siblings_and_replaces_its_value() {
        let before = payload(json!({"review": {"level": 1, "by": "ops"}}));

        let after = before
            .with_field(&["review", "level"], json!({"n": 3}))
            .unwrap();

        assert_eq!(
            after.as_value(),
            &json!({"review": {"level": {"n": 3}, "by": "ops"}})
        );
    }

    #[test]
    fn a_value_on_the_way_that_is_not_an_object_is_named_and_kept() {
        let before = payload(json!({"review": {"notes": "see mail"}}));

        let error = before
            .with_field(&["review", "notes", "count"], json!(1))
            .unwrap_err();

        assert_eq!(
            error,
            "cannot set payload.review.notes.count: payload.review.notes is a string, \
             not an object"
        );
    }

    #[test]
    fn a_result_beyond_the_payload_limits_is_refused() {
        let before = payload(json!({"a": "x".repeat(JsonObject::MAX_BYTES - 100)}));

        let error = before
            .with_field(&["b"], json!("y".repeat(200)))
            .unwrap_err();

        assert!(error.starts_with("cannot set payload.b: the payload must be at most"));
        let deep: Vec<&str> = vec!["d"; JsonObject::MAX_DEPTH];
        assert!(payload(json!({}))
            .with_field(&deep, json!({"one": "more"}))
            .unwrap_err()
            .contains("must nest at most"));
    }

    #[test]
    fn a_missing_field_reads_as_none_and_a_null_one_as_null() {
        let value = payload(json!({"a": {"b": null}, "s": "text"}));

        assert_eq!(value.field(&["a", "b"]), Some(&Value::Null));
        assert_eq!(value.field(&["a", "c"]), None);
        assert_eq!(value.field(&["s", "t"]), None);
    }
}
