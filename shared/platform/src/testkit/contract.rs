//! Whether a real response is one the OpenAPI description promises: its
//! status is documented for the route, its media type is the documented
//! one (none for a documented empty answer), and its body matches the
//! documented schema. Each module's contract tests hold their handlers'
//! replies to the description with it, as contract fuzzing does against a
//! running platform.
//!
//! The schema check reads the JSON Schema keywords of [`KEYWORDS`]:
//! `$ref`, `type`, `enum`, `oneOf`/`anyOf`/`allOf`, `required`,
//! `properties`, `additionalProperties` (`false` or a schema),
//! `propertyNames`, `items`, item counts, `uniqueItems`, lengths, bounds,
//! `pattern` (as a `regex-lite` expression, anchored as written) and the
//! `uuid`, `date-time`, `email` (a non-empty local part and domain
//! around an `@`), `int32`, `int64` and `double` formats; annotations
//! (`description`, `title`, `example(s)`, `default`) say nothing about a
//! body. It reports the first mismatch with its place in the body (`$` is
//! the body itself).
//!
//! Invariant: nothing passes unread. A keyword, format or pattern it
//! cannot check fails the check instead of being skipped.

use super::Reply;

#[path = "contract/formats.rs"]
mod formats;
#[path = "contract/references.rs"]
mod references;
pub use references::resolved_references;
use serde_json::{Map, Value};

/// The schema keywords the check reads; any other fails it. By line:
/// annotations, any value, objects, arrays, strings, numbers.
#[rustfmt::skip]
pub const KEYWORDS: &[&str] = &[
    "description", "title", "example", "examples", "default",
    "$ref", "type", "enum", "oneOf", "anyOf", "allOf",
    "required", "properties", "additionalProperties", "propertyNames",
    "items", "minItems", "maxItems", "uniqueItems",
    "minLength", "maxLength", "pattern", "format",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
];

pub use formats::FORMATS;

/// The description a module's tests hold its replies to: the kernel's
/// base, the module's routes, what every operation answers (as
/// `infra/openapi` merges them), as JSON.
#[cfg(feature = "openapi")]
pub fn document(module: utoipa::openapi::OpenApi) -> Value {
    let mut doc = opsflow_platform::openapi::base();
    doc.merge(module);
    opsflow_platform::openapi::finish(&mut doc);
    serde_json::to_value(&doc).expect("the description is JSON")
}

/// Panics unless `reply` is a documented answer of `route`
/// (`"PATCH /api/v1/users/{id}"`) in `doc`.
pub fn assert_conforms(doc: &Value, route: &str, reply: &Reply) {
    let content_type = reply.header("content-type");
    if let Err(problem) = check(doc, route, reply.status, content_type, &reply.body) {
        panic!("{problem}\n{}", reply.body);
    }
}

/// Checks an answer to `route` (`"POST /api/v1/workflows"`) against
/// `doc`, the whole description as JSON: `status` must be documented,
/// `content_type` (its parameters aside) must be its media type (none for
/// a response without a body), and `body` must match its schema.
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
        return Err(format!("{route} is not documented"));
    }
    let context = format!("{route} {status}");
    let response = resolve(doc, &operation["responses"][status.to_string()])
        .map_err(|problem| format!("{context}: {problem}"))?;
    if !response.is_object() {
        return Err(format!(
            "{route} answered {status}, which it does not document"
        ));
    }
    let media = content_type.map(|t| t.split(';').next().unwrap_or(t).trim());
    let Some(content) = response["content"].as_object() else {
        return match (media, body) {
            (None, Value::Null) => Ok(()),
            _ => Err(format!(
                "{context}: documented without a body, answered {media:?} {body}"
            )),
        };
    };
    let media = media.ok_or_else(|| format!("{context}: no content-type"))?;
    let schema = content
        .get(media)
        .ok_or_else(|| format!("{context}: {media} is not a documented media type"))?
        .get("schema")
        .unwrap_or(&Value::Bool(true));
    matches(doc, schema, body, "$").map_err(|problem| format!("{context}: {problem}"))
}

/// What a `$ref` names in `doc` (followed to the end), or `node` itself.
fn resolve<'d>(doc: &'d Value, node: &'d Value) -> Result<&'d Value, String> {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => resolve(doc, named(doc, reference)?),
        None => Ok(node),
    }
}

/// The node a local `reference` (`#/components/schemas/User`) names.
fn named<'d>(doc: &'d Value, reference: &str) -> Result<&'d Value, String> {
    let pointer = reference
        .strip_prefix('#')
        .ok_or_else(|| format!("{reference} is not local"))?;
    doc.pointer(pointer)
        .ok_or_else(|| format!("{reference} names nothing"))
}

/// Whether `value` (at `at`) matches `schema`; the first mismatch, with
/// its place, if not.
fn matches(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let keywords = match schema {
        Value::Bool(true) => return Ok(()),
        Value::Bool(false) => return Err(format!("{at}: nothing is allowed here")),
        Value::Object(keywords) => keywords,
        _ => return Err(format!("{at}: unreadable schema {schema}")),
    };
    for (keyword, rule) in keywords {
        let schema = keywords;
        Rule {
            doc,
            schema,
            rule,
            at,
        }
        .check(keyword, value)?;
    }
    Ok(())
}

/// One keyword's rule, read within its schema and the document, applied
/// to the value at `at`.
struct Rule<'a> {
    doc: &'a Value,
    schema: &'a Map<String, Value>,
    rule: &'a Value,
    at: &'a str,
}

impl Rule<'_> {
    /// A mismatch here.
    fn fail(&self, why: String) -> Result<(), String> {
        Err(format!("{}: {why}", self.at))
    }

    fn within(&self, ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
        match ok {
            true => Ok(()),
            false => self.fail(why()),
        }
    }

    /// Whether `value` keeps `keyword`.
    fn check(&self, keyword: &str, value: &Value) -> Result<(), String> {
        let (doc, rule, at) = (self.doc, self.rule, self.at);
        match keyword {
            "description" | "title" | "example" | "examples" | "default" => Ok(()),
            "$ref" => match named(doc, rule.as_str().unwrap_or_default()) {
                Ok(schema) => matches(doc, schema, value, at),
                Err(problem) => self.fail(problem),
            },
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::Array(types) => types.iter().filter_map(Value::as_str).collect(),
                    other => other.as_str().into_iter().collect(),
                };
                self.within(types.iter().any(|t| is_type(value, t)), || {
                    format!("{value} is not of type {rule}")
                })
            }
            "enum" => self.within(
                rule.as_array().is_some_and(|values| values.contains(value)),
                || format!("{value} is not one of {rule}"),
            ),
            "oneOf" | "anyOf" | "allOf" => {
                let parts = rule.as_array().map(Vec::as_slice).unwrap_or_default();
                let fitting = parts
                    .iter()
                    .filter(|part| matches(doc, part, value, at).is_ok())
                    .count();
                let ok = match keyword {
                    "oneOf" => fitting == 1,
                    "anyOf" => fitting >= 1,
                    _ => fitting == parts.len(),
                };
                self.within(ok, || {
                    let count = parts.len();
                    format!("{value} fits {fitting} of the {count} schemas of its {keyword}")
                })
            }
            // Unreadable whatever the value: fails even where it says nothing.
            "format" if !FORMATS.contains(&rule.as_str().unwrap_or_default()) => {
                self.fail(format!("format {rule} is not checked here"))
            }
            "pattern" if pattern(rule).is_none() => {
                self.fail(format!("pattern {rule} is not checked here"))
            }
            _ => match value {
                Value::Object(fields) => self.object(keyword, fields),
                Value::Array(items) => self.array(keyword, items),
                Value::String(text) => self.string(keyword, text),
                Value::Number(_) => self.number(keyword, value),
                _ => self.known(keyword),
            },
        }
    }

    fn object(&self, keyword: &str, fields: &Map<String, Value>) -> Result<(), String> {
        let (doc, rule, at) = (self.doc, self.rule, self.at);
        match keyword {
            "required" => {
                let mut names = rule.as_array().into_iter().flatten();
                match names.find_map(|name| name.as_str().filter(|n| !fields.contains_key(*n))) {
                    Some(name) => self.fail(format!("required field {name} is missing")),
                    None => Ok(()),
                }
            }
            "properties" => {
                for (name, field) in fields {
                    if let Some(property) = rule.get(name) {
                        matches(doc, property, field, &format!("{at}.{name}"))?;
                    }
                }
                Ok(())
            }
            "additionalProperties" => {
                let documented = self.schema.get("properties").and_then(Value::as_object);
                let extra = fields
                    .iter()
                    .filter(|(name, _)| !documented.is_some_and(|p| p.contains_key(*name)));
                for (name, field) in extra {
                    match rule {
                        Value::Bool(false) => {
                            return self.fail(format!("field {name} is not documented"))
                        }
                        _ => matches(doc, rule, field, &format!("{at}.{name}"))?,
                    }
                }
                Ok(())
            }
            "propertyNames" => {
                for name in fields.keys() {
                    let key = Value::String(name.clone());
                    matches(doc, rule, &key, &format!("{at} (field name {name:?})"))?;
                }
                Ok(())
            }
            _ => self.known(keyword),
        }
    }

    fn array(&self, keyword: &str, items: &[Value]) -> Result<(), String> {
        let (count, rule) = (items.len() as u64, self.rule);
        match keyword {
            "items" => {
                for (index, item) in items.iter().enumerate() {
                    matches(self.doc, rule, item, &format!("{}[{index}]", self.at))?;
                }
                Ok(())
            }
            "minItems" | "maxItems" => {
                let bound = rule.as_u64().unwrap_or_default();
                let broken = match keyword {
                    "minItems" => count < bound,
                    _ => count > bound,
                };
                self.within(!broken, || format!("{count} items break {keyword} {bound}"))
            }
            "uniqueItems" => {
                let repeated = (1..items.len()).find(|&i| items[..i].contains(&items[i]));
                match (rule, repeated) {
                    (Value::Bool(true), Some(i)) => {
                        self.fail(format!("item {i} repeats one before it"))
                    }
                    _ => Ok(()),
                }
            }
            _ => self.known(keyword),
        }
    }

    fn string(&self, keyword: &str, text: &str) -> Result<(), String> {
        let rule = self.rule;
        match keyword {
            "minLength" | "maxLength" => {
                let bound = rule.as_u64().unwrap_or_default();
                let length = text.chars().count() as u64;
                let broken = match keyword {
                    "minLength" => length < bound,
                    _ => length > bound,
                };
                self.within(!broken, || {
                    format!("{text:?} has length {length}, breaking {keyword} {bound}")
                })
            }
            "pattern" => self.within(pattern(rule).is_some_and(|p| p.is_match(text)), || {
                format!("{text:?} does not match {rule}")
            }),
            "format" => self.within(formats::string_fits(rule, text), || {
                format!("{text:?} is not a {rule}")
            }),
            _ => self.known(keyword),
        }
    }

    fn number(&self, keyword: &str, value: &Value) -> Result<(), String> {
        let rule = self.rule;
        match keyword {
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                let (number, bound) = (value.as_f64(), rule.as_f64());
                let broken = match (keyword, number, bound) {
                    ("minimum", Some(number), Some(bound)) => number < bound,
                    ("maximum", Some(number), Some(bound)) => number > bound,
                    ("exclusiveMinimum", Some(number), Some(bound)) => number <= bound,
                    (_, Some(number), Some(bound)) => number >= bound,
                    _ => true,
                };
                self.within(!broken, || format!("{value} breaks {keyword} {rule}"))
            }
            "format" => {
                let ok = match rule.as_str().unwrap_or_default() {
                    "int32" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                    "int64" => value.is_i64(),
                    // `double` is any number; the string formats say
                    // nothing about a number.
                    _ => true,
                };
                self.within(ok, || format!("{value} is not an {rule}"))
            }
            _ => self.known(keyword),
        }
    }

    /// A keyword that says nothing about a value of another type passes;
    /// one the check does not read fails.
    fn known(&self, keyword: &str) -> Result<(), String> {
        self.within(KEYWORDS.contains(&keyword), || {
            format!("keyword {keyword} is not checked here")
        })
    }
}

/// `rule` as a regular expression, if `regex-lite` reads it.
fn pattern(rule: &Value) -> Option<regex_lite::Regex> {
    regex_lite::Regex::new(rule.as_str()?).ok()
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

#[cfg(test)]
#[path = "contract/tests.rs"]
mod tests;
