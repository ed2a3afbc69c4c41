//! Whether a real response is one the description promises: its status is
//! documented for the route, its media type is the documented one, and
//! its body matches the documented schema. The modules' tests hold their
//! handlers' answers to the description with it, as contract fuzzing does
//! against a running platform.
//!
//! It reads the JSON Schema keywords the description uses — `$ref`,
//! `type`, `enum`, `required`, `properties`, `additionalProperties`,
//! `items`, `oneOf`, `allOf`, `anyOf`, lengths, ranges, item counts and
//! the `uuid` and `date-time` formats — and reports the first mismatch
//! with its place in the body. `pattern` is not checked.
//!
//! Invariant: it never accepts a body that breaks one of those keywords.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Checks a response to `route` (`"POST /api/v1/workflows"`) against
/// `doc`, the whole description as JSON: `status` must be documented,
/// `content_type` must be its media type (none for a response without a
/// body), and `body` must match its schema.
pub fn check(
    doc: &Value,
    route: &str,
    status: u16,
    content_type: Option<&str>,
    body: &Value,
) -> Result<(), String> {
    let (method, path) = route
        .split_once(' ')
        .ok_or_else(|| format!("{route}: not METHOD /path"))?;
    let operation = &doc["paths"][path][method.to_lowercase()];
    if !operation.is_object() {
        return Err(format!("{route} is not described"));
    }
    let response = resolve(doc, &operation["responses"][status.to_string()]);
    if !response.is_object() {
        return Err(format!("{route} does not document {status}"));
    }
    match response["content"].as_object() {
        None if content_type.is_none() && body.is_null() => Ok(()),
        None => Err(format!("{route} {status} documents no body, got {body}")),
        Some(content) => {
            let media = content_type.unwrap_or_default();
            let schema = &content
                .get(media)
                .ok_or_else(|| format!("{route} {status}: {media:?} is not documented"))?["schema"];
            Validator { doc }
                .value(schema, body, "$")
                .map_err(|error| format!("{route} {status}: {error}"))
        }
    }
}

/// What a `$ref` names in `doc`, or `node` itself.
fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    let Some(reference) = node["$ref"].as_str() else {
        return node;
    };
    let mut found = doc;
    for part in reference.trim_start_matches("#/").split('/') {
        found = &found[part];
    }
    resolve(doc, found)
}

struct Validator<'a> {
    doc: &'a Value,
}

impl Validator<'_> {
    fn value(&self, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
        let schema = resolve(self.doc, schema);
        if let Some(types) = types(schema) {
            if !types.iter().any(|t| is_type(t, value)) {
                return Err(format!("{at}: {value} is not of type {types:?}"));
            }
        }
        if let Some(values) = schema["enum"].as_array() {
            if !values.contains(value) {
                return Err(format!("{at}: {value} is not one of {values:?}"));
            }
        }
        for part in schema["allOf"].as_array().into_iter().flatten() {
            self.value(part, value, at)?;
        }
        if let Some(options) = schema["oneOf"].as_array() {
            let fits = options.iter().filter(|o| self.value(o, value, at).is_ok());
            if fits.count() != 1 {
                return Err(format!("{at}: {value} fits not exactly one of its oneOf"));
            }
        }
        if let Some(options) = schema["anyOf"].as_array() {
            if !options.iter().any(|o| self.value(o, value, at).is_ok()) {
                return Err(format!("{at}: {value} fits none of its anyOf"));
            }
        }
        match value {
            Value::Object(fields) => self.object(schema, fields, at),
            Value::Array(items) => self.array(schema, items, at),
            Value::String(text) => string(schema, text, at),
            Value::Number(_) => number(schema, value, at),
            _ => Ok(()),
        }
    }

    fn object(&self, schema: &Value, fields: &Map<String, Value>, at: &str) -> Result<(), String> {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !fields.contains_key(name) {
                return Err(format!("{at}: lacks required {name}"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, field) in fields {
            let here = format!("{at}.{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(property) => self.value(property, field, &here)?,
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => return Err(format!("{here} is not documented")),
                    extra @ Value::Object(_) => self.value(extra, field, &here)?,
                    _ => {}
                },
            }
        }
        Ok(())
    }

    fn array(&self, schema: &Value, items: &[Value], at: &str) -> Result<(), String> {
        let count = items.len() as u64;
        if schema["minItems"].as_u64().is_some_and(|min| count < min)
            || schema["maxItems"].as_u64().is_some_and(|max| count > max)
        {
            return Err(format!("{at}: {count} items is out of its bounds"));
        }
        if schema["items"].is_object() {
            for (i, item) in items.iter().enumerate() {
                self.value(&schema["items"], item, &format!("{at}[{i}]"))?;
            }
        }
        Ok(())
    }
}

/// A schema's `type`, as a list.
fn types(schema: &Value) -> Option<Vec<&str>> {
    match &schema["type"] {
        Value::String(one) => Some(vec![one.as_str()]),
        Value::Array(many) => Some(many.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn is_type(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => false,
    }
}

fn string(schema: &Value, text: &str, at: &str) -> Result<(), String> {
    let chars = text.chars().count() as u64;
    if schema["minLength"].as_u64().is_some_and(|min| chars < min)
        || schema["maxLength"].as_u64().is_some_and(|max| chars > max)
    {
        return Err(format!("{at}: {text:?} has a length out of its bounds"));
    }
    let valid = match schema["format"].as_str() {
        Some("uuid") => is_uuid(text),
        Some("date-time") => OffsetDateTime::parse(text, &Rfc3339).is_ok(),
        _ => true,
    };
    if valid {
        Ok(())
    } else {
        Err(format!("{at}: {text:?} is not a {}", schema["format"]))
    }
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn number(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let number = value.as_f64().unwrap_or_default();
    if schema["minimum"].as_f64().is_some_and(|min| number < min)
        || schema["maximum"].as_f64().is_some_and(|max| number > max)
    {
        return Err(format!("{at}: {value} is out of its range"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "paths": {"/things": {"get": {"responses": {
                "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "204": {"description": "none"}
            }}}},
            "components": {"schemas": {"Thing": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "size": {"type": ["integer", "null"], "minimum": 1},
                    "kind": {"type": "string", "enum": ["a", "b"]}
                },
                "additionalProperties": false
            }}}
        })
    }

    fn thing(body: Value) -> Result<(), String> {
        check(&doc(), "GET /things", 200, Some("application/json"), &body)
    }

    #[test]
    fn a_body_that_keeps_every_keyword_conforms() {
        let id = "01890a5d-ac96-774b-bcce-b302099a8057";
        assert_eq!(thing(json!({"id": id, "size": 2, "kind": "a"})), Ok(()));
        assert_eq!(thing(json!({"id": id, "size": null})), Ok(()));
        let empty = check(&doc(), "GET /things", 204, None, &Value::Null);
        assert_eq!(empty, Ok(()));
    }

    #[test]
    fn each_broken_keyword_is_reported() {
        let id = "01890a5d-ac96-774b-bcce-b302099a8057";
        for body in [
            json!({}),
            json!({"id": "not-a-uuid"}),
            json!({"id": id, "size": 0}),
            json!({"id": id, "size": 1.5}),
            json!({"id": id, "kind": "c"}),
            json!({"id": id, "extra": true}),
            json!([]),
        ] {
            assert!(thing(body.clone()).is_err(), "{body}");
        }
        let undocumented = check(&doc(), "GET /things", 404, None, &Value::Null);
        assert!(undocumented.is_err());
        let wrong_media = check(&doc(), "GET /things", 200, Some("text/plain"), &json!({}));
        assert!(wrong_media.is_err());
    }
}
