//! The conformance check refuses each broken keyword, status and media type
//! on small hand-written descriptions, and reads every keyword, format and
//! pattern the committed `docs/openapi.json` uses.

use super::{check, FORMATS, KEYWORDS};
use serde_json::{json, Value};

const ID: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

/// One route, `GET /things`, answering a `Thing` (200), nothing (204) or a
/// problem (404).
fn doc(thing: Value) -> Value {
    json!({
        "paths": {"/things": {"get": {"responses": {
            "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
            "204": {"description": "none"},
            "404": {"$ref": "#/components/responses/NotFound"}
        }}}},
        "components": {
            "schemas": {"Thing": thing},
            "responses": {"NotFound": {"content": {"application/problem+json": {"schema": {
                "type": "object", "required": ["status"], "properties": {"status": {"type": "integer"}}
            }}}}}
        }
    })
}

fn thing() -> Value {
    json!({
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "size": {"type": ["integer", "null"], "format": "int32", "minimum": 1, "maximum": 9},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "name": {"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"},
            "at": {"type": "string", "format": "date-time"},
            "email": {"type": "string", "format": "email"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2, "uniqueItems": true},
            "labels": {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"},
                "additionalProperties": {"type": "string"}},
            "either": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            "any": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]},
            "all": {"allOf": [{"type": "number"}, {"minimum": 0}]},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}
        },
        "additionalProperties": false
    })
}

fn answer(body: Value) -> Result<(), String> {
    let json = Some("application/json; charset=utf-8");
    check(&doc(thing()), "GET /things", 200, json, &body)
}

#[test]
fn a_body_that_keeps_every_keyword_conforms() {
    let full = json!({
        "id": ID, "size": 2, "kind": "a", "name": "abc", "at": "2026-11-22T09:15:02Z",
        "email": "ada@example.com", "tags": ["x", "y"], "labels": {"team": "ops"},
        "either": 1, "any": true, "all": 0.5, "ratio": 0.5
    });
    assert_eq!(answer(full), Ok(()));
    assert_eq!(answer(json!({"id": ID, "size": null})), Ok(()));
    let doc = doc(thing());
    assert_eq!(check(&doc, "GET /things", 204, None, &Value::Null), Ok(()));
    let problem = Some("application/problem+json");
    let found = check(&doc, "GET /things", 404, problem, &json!({"status": 404}));
    assert_eq!(found, Ok(()));
}

#[test]
fn each_broken_keyword_is_reported_with_its_place() {
    for (body, place) in [
        (json!([]), "$:"),
        (json!({}), "required field id"),
        (json!({"id": "not-a-uuid"}), "$.id:"),
        (json!({"id": ID, "size": 0}), "breaks minimum"),
        (json!({"id": ID, "size": 10}), "breaks maximum"),
        (json!({"id": ID, "size": 1.5}), "$.size:"),
        (json!({"id": ID, "kind": "c"}), "$.kind:"),
        (json!({"id": ID, "name": "a"}), "breaking minLength"),
        (json!({"id": ID, "name": "abcde"}), "breaking maxLength"),
        (json!({"id": ID, "name": "AB"}), "does not match"),
        (json!({"id": ID, "at": "yesterday"}), "$.at:"),
        (json!({"id": ID, "email": "ada"}), "$.email:"),
        (json!({"id": ID, "tags": []}), "minItems"),
        (json!({"id": ID, "tags": ["x", "y", "z"]}), "maxItems"),
        (json!({"id": ID, "tags": ["x", "x"]}), "repeats"),
        (json!({"id": ID, "tags": [1]}), "$.tags[0]:"),
        (json!({"id": ID, "labels": {"Team": "ops"}}), "field name"),
        (json!({"id": ID, "labels": {"team": 1}}), "$.labels.team:"),
        (json!({"id": ID, "either": true}), "oneOf"),
        (json!({"id": ID, "any": "x"}), "anyOf"),
        (json!({"id": ID, "all": -1}), "allOf"),
        (json!({"id": ID, "ratio": 0}), "breaks exclusiveMinimum"),
        (json!({"id": ID, "ratio": 1}), "breaks exclusiveMaximum"),
        (
            json!({"id": ID, "extra": true}),
            "field extra is not documented",
        ),
    ] {
        let found = answer(body.clone()).expect_err(&body.to_string());
        assert!(found.contains(place), "{body}: {found}");
    }
}

#[test]
fn int32_bounds_its_numbers() {
    let doc = doc(json!({"type": "integer", "format": "int32"}));
    let answer = |n: Value| check(&doc, "GET /things", 200, Some("application/json"), &n);
    assert_eq!(answer(json!(2_147_483_647)), Ok(()));
    assert!(answer(json!(2_147_483_648_u64)).is_err());
}

#[test]
fn an_undocumented_status_media_type_or_body_is_refused() {
    let doc = doc(thing());
    let get =
        |status, media: Option<&str>, body: Value| check(&doc, "GET /things", status, media, &body);
    let json = Some("application/json");
    assert!(get(418, json, json!({"id": ID})).is_err());
    assert!(get(200, Some("text/plain"), json!({"id": ID})).is_err());
    assert!(get(200, None, json!({"id": ID})).is_err());
    assert!(get(204, None, json!({"id": ID})).is_err());
    assert!(get(204, json, Value::Null).is_err());
    assert!(get(404, json, json!({"status": 404})).is_err());
    assert!(check(&doc, "PUT /things", 200, json, &json!({"id": ID})).is_err());
}

#[test]
fn what_it_cannot_read_fails_rather_than_passes() {
    for schema in [
        json!({"const": 1}),
        json!({"type": ["string", "null"], "format": "hostname"}),
        json!({"type": ["string", "null"], "pattern": "(?=look)"}),
        json!({"$ref": "#/components/schemas/Nothing"}),
    ] {
        let doc = doc(schema.clone());
        let found = check(
            &doc,
            "GET /things",
            200,
            Some("application/json"),
            &Value::Null,
        );
        assert!(found.is_err(), "{schema}");
    }
}

/// Every schema of the committed description, with where it sits.
fn schemas<'d>(node: &'d Value, at: String, found: &mut Vec<(String, &'d Value)>) {
    match node {
        Value::Object(fields) => {
            for (key, child) in fields {
                let here = format!("{at}/{key}");
                match key.as_str() {
                    "schema" => found.push((here, child)),
                    "schemas" => {
                        let named = child.as_object().into_iter().flatten();
                        found.extend(named.map(|(name, s)| (format!("{here}/{name}"), s)));
                    }
                    _ => schemas(child, here, found),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| schemas(item, at.clone(), found)),
        _ => {}
    }
}

/// What the check cannot read in `schema` and the schemas within it.
fn unread(schema: &Value, at: &str, out: &mut Vec<String>) {
    let Some(keywords) = schema.as_object() else {
        return;
    };
    for (keyword, rule) in keywords {
        let here = format!("{at}/{keyword}");
        if !KEYWORDS.contains(&keyword.as_str()) {
            out.push(here.clone());
        }
        match keyword.as_str() {
            "properties" => rule
                .as_object()
                .into_iter()
                .flatten()
                .for_each(|(name, s)| unread(s, &format!("{here}/{name}"), out)),
            "items" | "additionalProperties" | "propertyNames" => unread(rule, &here, out),
            "oneOf" | "anyOf" | "allOf" => rule
                .as_array()
                .into_iter()
                .flatten()
                .for_each(|s| unread(s, &here, out)),
            "format" if !FORMATS.contains(&rule.as_str().unwrap_or_default()) => out.push(here),
            "pattern" if super::pattern(rule).is_none() => out.push(here),
            _ => {}
        }
    }
}

#[test]
fn every_keyword_of_the_description_is_read() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let text = std::fs::read_to_string(path).expect("docs/openapi.json");
    let description: Value = serde_json::from_str(&text).expect("docs/openapi.json is JSON");
    let mut found = Vec::new();
    schemas(&description, String::new(), &mut found);
    assert!(found.len() > 20, "{} schemas", found.len());
    let mut missing = Vec::new();
    for (at, schema) in found {
        unread(schema, &at, &mut missing);
    }
    assert!(missing.is_empty(), "not checked: {missing:#?}");
}
