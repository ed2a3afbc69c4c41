//! Checks a real response against the OpenAPI document: its status is one
//! the operation documents, its media type is the documented one (none for
//! a documented empty answer), and its body matches the documented schema.
//!
//! The schema check covers the JSON Schema keywords the document uses
//! (`$ref`, `type`, `enum`, `oneOf`/`anyOf`/`allOf`, `required`,
//! `properties`, `additionalProperties`, `items`, lengths, bounds, the
//! `uuid`, `date-time` and `email` formats and literal `^…$` patterns);
//! any other keyword fails the check rather than passing unread.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The merged document of `module` (the kernel's base, the module's
/// routes, what every operation answers), as JSON.
pub fn document(module: utoipa::openapi::OpenApi) -> Value {
    let mut doc = opsflow_platform::openapi::base();
    doc.merge(module);
    opsflow_platform::openapi::finish(&mut doc);
    serde_json::to_value(&doc).expect("the document is JSON")
}

/// A response as the check reads it.
pub struct Seen<'a> {
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub body: &'a Value,
}

/// Panics unless `seen` is a documented answer of `route`
/// (`"PATCH /api/v1/users/{id}"`).
pub fn assert_conforms(doc: &Value, route: &str, seen: Seen<'_>) {
    let (method, path) = route.split_once(' ').expect("METHOD /path");
    let operation = &doc["paths"][path][method.to_lowercase()];
    assert!(operation.is_object(), "{route} is not documented");
    let status = seen.status.to_string();
    let mut response = &operation["responses"][&status];
    assert!(
        response.is_object(),
        "{route} answered {status}, which it does not document: {}",
        seen.body
    );
    if let Some(name) = response["$ref"].as_str() {
        response = resolve(doc, name);
    }
    let context = format!("{route} {status}");
    let Some(content) = response["content"].as_object() else {
        assert!(
            seen.body.is_null(),
            "{context}: documented without a body, answered {}",
            seen.body
        );
        return;
    };
    let media = seen
        .content_type
        .map(|t| t.split(';').next().unwrap_or(t).trim());
    let media = media.unwrap_or_else(|| panic!("{context}: no content-type"));
    let schema = content
        .get(media)
        .unwrap_or_else(|| panic!("{context}: {media} is not a documented media type"))
        .get("schema")
        .unwrap_or(&Value::Bool(true));
    if let Err(problem) = check(doc, schema, seen.body, "") {
        panic!(
            "{context}: the body does not match its schema: {problem}\n{}",
            seen.body
        );
    }
}

fn resolve<'d>(doc: &'d Value, reference: &str) -> &'d Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("{reference} is not local"));
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("{reference} names nothing"))
}

/// Whether `value` (at `at`) matches `schema`; the first mismatch if not.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let keywords = match schema {
        Value::Bool(true) => return Ok(()),
        Value::Object(keywords) => keywords,
        _ => return Err(format!("{at}: unreadable schema {schema}")),
    };
    for (keyword, rule) in keywords {
        check_keyword(doc, keywords, keyword, rule, value, at)?;
    }
    Ok(())
}

fn check_keyword(
    doc: &Value,
    schema: &Map<String, Value>,
    keyword: &str,
    rule: &Value,
    value: &Value,
    at: &str,
) -> Result<(), String> {
    let fail = |why: String| Err(format!("{at}: {why}"));
    let text = value.as_str();
    let length = text.map(|t| t.chars().count() as u64);
    match keyword {
        "description" | "title" | "example" | "examples" | "default" => Ok(()),
        "$ref" => check(
            doc,
            resolve(doc, rule.as_str().unwrap_or_default()),
            value,
            at,
        ),
        "type" => {
            let allowed: Vec<&str> = match rule {
                Value::Array(types) => types.iter().filter_map(Value::as_str).collect(),
                other => other.as_str().into_iter().collect(),
            };
            match allowed.iter().any(|t| is_type(value, t)) {
                true => Ok(()),
                false => fail(format!("{value} is not of type {rule}")),
            }
        }
        "enum" => match rule.as_array().is_some_and(|values| values.contains(value)) {
            true => Ok(()),
            false => fail(format!("{value} is not one of {rule}")),
        },
        "oneOf" | "anyOf" | "allOf" => {
            let parts = rule.as_array().cloned().unwrap_or_default();
            let matching = parts
                .iter()
                .filter(|part| check(doc, part, value, at).is_ok())
                .count();
            let ok = match keyword {
                "oneOf" => matching == 1,
                "anyOf" => matching >= 1,
                _ => matching == parts.len(),
            };
            match ok {
                true => Ok(()),
                false => fail(format!("{value} matches {matching} of {keyword} {rule}")),
            }
        }
        "required" => {
            let Some(object) = value.as_object() else {
                return Ok(());
            };
            for name in rule
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !object.contains_key(name) {
                    return fail(format!("required field {name} is missing"));
                }
            }
            Ok(())
        }
        "properties" => {
            let Some(object) = value.as_object() else {
                return Ok(());
            };
            for (name, field) in object {
                if let Some(field_schema) = rule.get(name) {
                    check(doc, field_schema, field, &format!("{at}.{name}"))?;
                }
            }
            Ok(())
        }
        "additionalProperties" => {
            let (Some(object), Value::Bool(false)) = (value.as_object(), rule) else {
                return Ok(());
            };
            let known = schema.get("properties").and_then(Value::as_object);
            match object
                .keys()
                .find(|k| !known.is_some_and(|p| p.contains_key(*k)))
            {
                Some(extra) => fail(format!("field {extra} is not documented")),
                None => Ok(()),
            }
        }
        "items" => {
            for (index, item) in value.as_array().into_iter().flatten().enumerate() {
                check(doc, rule, item, &format!("{at}[{index}]"))?;
            }
            Ok(())
        }
        "minLength" | "maxLength" => {
            let (Some(length), Some(bound)) = (length, rule.as_u64()) else {
                return Ok(());
            };
            match (keyword == "minLength" && length < bound)
                || (keyword == "maxLength" && length > bound)
            {
                true => fail(format!("length {length} breaks {keyword} {bound}")),
                false => Ok(()),
            }
        }
        "minimum" | "maximum" => {
            let (Some(number), Some(bound)) = (value.as_f64(), rule.as_f64()) else {
                return Ok(());
            };
            match (keyword == "minimum" && number < bound)
                || (keyword == "maximum" && number > bound)
            {
                true => fail(format!("{number} breaks {keyword} {bound}")),
                false => Ok(()),
            }
        }
        "format" => {
            let Some(text) = text else { return Ok(()) };
            let ok = match rule.as_str().unwrap_or_default() {
                "uuid" => is_uuid(text),
                "date-time" => OffsetDateTime::parse(text, &Rfc3339).is_ok(),
                "email" => text
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty()),
                "int32" | "int64" => true,
                other => return fail(format!("format {other} is not checked here")),
            };
            match ok {
                true => Ok(()),
                false => fail(format!("{text:?} is not a {rule}")),
            }
        }
        "pattern" => {
            let Some(text) = text else { return Ok(()) };
            let pattern = rule.as_str().unwrap_or_default();
            let literal = pattern.strip_prefix('^').and_then(|p| p.strip_suffix('$'));
            match literal {
                Some(literal) if literal.chars().all(char::is_alphanumeric) => {
                    match text == literal {
                        true => Ok(()),
                        false => fail(format!("{text:?} does not match {pattern}")),
                    }
                }
                _ => fail(format!("pattern {pattern} is not checked here")),
            }
        }
        other => fail(format!("keyword {other} is not checked here")),
    }
}

fn is_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => false,
    }
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}
