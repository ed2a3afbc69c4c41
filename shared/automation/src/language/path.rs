//! Field paths: where a condition looks inside an event envelope.
//!
//! A path is dot-separated segments, rooted at one of the envelope's fields:
//!
//! | path | what it names | its type |
//! |---|---|---|
//! | `data`, `data.<field>…` | the entity after the change | object; below it, whatever the entity holds |
//! | `changes` | the changed fields | object |
//! | `changes.<field>` | one change, `[before, after]` | a pair (array of two) |
//! | `changes.<field>.0`, `changes.<field>.1`… | the value before / after, and below it | whatever the field holds |
//! | `actor.id`, `actor.role` | who caused the event | string |
//! | `type`, `entity`, `entity_id` | the event type, entity name and id | string |
//! | `depth` | how many automation steps led here | number |
//!
//! A segment that is all digits also indexes arrays: `data.lines.0.sku` is
//! the `sku` of the first line (and, on an object, the key `"0"`).
//!
//! The types of the envelope's own fields are known when a rule is
//! written, so a condition such as `depth` `starts_with` `"x"` is refused
//! then; below `data` and `changes.<field>.0|1` the type is only known when
//! the event arrives.
//!
//! Resolving a path never fails: an absent field, an index past the end or
//! a step into a scalar all resolve to "missing".

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A validated path into an event envelope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldPath(String);

/// What is known, at write time, about the value a path resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathType {
    /// Known only when the event arrives (anything below `data`).
    Dynamic,
    String,
    Number,
    /// `changes.<field>`: `[before, after]`.
    Pair,
    /// `data`, `changes` or `actor` as a whole.
    Object,
}

impl FieldPath {
    pub const MAX_CHARS: usize = 256;
    pub const MAX_SEGMENTS: usize = 16;
    pub const MAX_SEGMENT_CHARS: usize = 64;
    pub const ROOTS: [&'static str; 7] = [
        "data",
        "changes",
        "actor",
        "type",
        "entity",
        "entity_id",
        "depth",
    ];

    pub fn parse(input: &str) -> Result<Self, String> {
        path_type(input)?;
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What is known about the type of the value this path names.
    pub fn path_type(&self) -> PathType {
        // A parsed path always has a type; Dynamic is the safe reading.
        path_type(&self.0).unwrap_or(PathType::Dynamic)
    }

    /// The value this path names in `event`, or `None` when it is missing.
    /// Any JSON is accepted; a non-object event has no fields.
    pub fn resolve<'e>(&self, event: &'e Value) -> Option<&'e Value> {
        self.0
            .split('.')
            .try_fold(event, |value, segment| match value {
                Value::Object(map) => map.get(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            })
    }
}

/// Checks the syntax of `input` and what it names.
fn path_type(input: &str) -> Result<PathType, String> {
    if input.is_empty() {
        return Err("must not be empty".into());
    }
    if input.len() > FieldPath::MAX_CHARS {
        return Err(format!(
            "must be at most {} characters",
            FieldPath::MAX_CHARS
        ));
    }
    let segments: Vec<&str> = input.split('.').collect();
    if segments.len() > FieldPath::MAX_SEGMENTS {
        return Err(format!(
            "must have at most {} segments",
            FieldPath::MAX_SEGMENTS
        ));
    }
    for segment in &segments {
        if segment.is_empty() {
            return Err("must not have an empty segment (two dots, or a dot at an end)".into());
        }
        if segment.chars().count() > FieldPath::MAX_SEGMENT_CHARS {
            return Err(format!(
                "must have segments of at most {} characters",
                FieldPath::MAX_SEGMENT_CHARS
            ));
        }
        if segment.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err("must not contain spaces or control characters".into());
        }
    }
    let root = segments[0];
    let rest = &segments[1..];
    match root {
        "data" if rest.is_empty() => Ok(PathType::Object),
        "data" => Ok(PathType::Dynamic),
        "changes" => match rest {
            [] => Ok(PathType::Object),
            [_] => Ok(PathType::Pair),
            [_, "0" | "1", ..] => Ok(PathType::Dynamic),
            [field, _, ..] => Err(format!(
                "changes.{field} is [before, after]: the segment after it must be 0 (before) or 1 (after)"
            )),
        },
        "actor" => match rest {
            [] => Ok(PathType::Object),
            ["id" | "role"] => Ok(PathType::String),
            [field] => Err(format!(
                "actor has only id and role, not {field:?}"
            )),
            [field, ..] => Err(format!("actor.{field} is a string and has no fields")),
        },
        "type" | "entity" | "entity_id" | "depth" if !rest.is_empty() => Err(format!(
            "{root} is a {} and has no fields",
            if root == "depth" { "number" } else { "string" }
        )),
        "type" | "entity" | "entity_id" => Ok(PathType::String),
        "depth" => Ok(PathType::Number),
        _ => Err(format!(
            "must start with one of {}, not {root:?}",
            FieldPath::ROOTS.join(", ")
        )),
    }
}

super::text_newtype!(FieldPath);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(text: &str) -> FieldPath {
        FieldPath::parse(text).unwrap()
    }

    fn event() -> Value {
        let data = json!({"amount": 42, "lines": [{"sku": "A"}, {"sku": "B"}], "0": "key zero"});
        super::super::test_envelope(data)
    }

    #[test]
    fn paths_into_every_root_resolve() {
        let event = event();
        assert_eq!(path("data.amount").resolve(&event), Some(&json!(42)));
        assert_eq!(path("actor.role").resolve(&event), Some(&json!("approver")));
        assert_eq!(
            path("type").resolve(&event),
            Some(&json!("approval.approved"))
        );
        assert_eq!(path("entity").resolve(&event), Some(&json!("approval")));
        assert_eq!(path("entity_id").resolve(&event), Some(&json!("a-1")));
        assert_eq!(path("depth").resolve(&event), Some(&json!(0)));
        assert_eq!(
            path("changes.status").resolve(&event),
            Some(&json!(["PENDING", "APPROVED"]))
        );
    }

    #[test]
    fn numeric_segments_index_arrays_and_name_object_keys() {
        let event = event();
        assert_eq!(
            path("changes.status.1").resolve(&event),
            Some(&json!("APPROVED"))
        );
        assert_eq!(
            path("changes.status.0").resolve(&event),
            Some(&json!("PENDING"))
        );
        assert_eq!(path("data.lines.1.sku").resolve(&event), Some(&json!("B")));
        assert_eq!(path("data.0").resolve(&event), Some(&json!("key zero")));
    }

    #[test]
    fn missing_fields_resolve_to_nothing() {
        let event = event();
        for text in [
            "data.missing",
            "data.amount.deeper",
            "data.lines.2.sku",
            "data.lines.first",
            "data.lines.-1",
            "changes.title",
            "changes.status.1.deeper",
        ] {
            assert_eq!(path(text).resolve(&event), None, "{text}");
        }
    }

    #[test]
    fn any_json_event_resolves_without_failing() {
        for event in [
            json!(null),
            json!(1),
            json!("data"),
            json!([1, 2]),
            json!({}),
        ] {
            assert_eq!(path("data.amount").resolve(&event), None);
            assert_eq!(path("depth").resolve(&event), None);
        }
    }

    #[test]
    fn envelope_fields_have_known_types() {
        let strings = ["type", "entity", "entity_id", "actor.id", "actor.role"];
        let objects = ["changes", "data", "actor"];
        let dynamic = [
            "data.amount",
            "changes.status.1",
            "changes.payload.1.amount",
        ];
        let cases = (strings.map(|text| (text, PathType::String)).into_iter())
            .chain(objects.map(|text| (text, PathType::Object)))
            .chain(dynamic.map(|text| (text, PathType::Dynamic)))
            .chain([
                ("depth", PathType::Number),
                ("changes.status", PathType::Pair),
            ]);
        for (text, expected) in cases {
            assert_eq!(path(text).path_type(), expected, "{text}");
        }
    }

    #[test]
    fn malformed_paths_are_refused_with_a_message() {
        for (text, expected) in [
            ("", "must not be empty"),
            ("payload.amount", "must start with one of"),
            ("Data.amount", "must start with one of"),
            ("data..amount", "empty segment"),
            ("data.", "empty segment"),
            (".data", "empty segment"),
            ("data.an amount", "spaces"),
            ("changes.status.after", "must be 0 (before) or 1 (after)"),
            ("changes.status.2", "must be 0 (before) or 1 (after)"),
            ("actor.name", "actor has only id and role"),
            ("actor.id.x", "actor.id is a string and has no fields"),
            ("type.x", "type is a string and has no fields"),
            ("depth.x", "depth is a number and has no fields"),
            ("id", "must start with one of"),
            ("occurred_at", "must start with one of"),
        ] {
            let message = FieldPath::parse(text).unwrap_err();
            assert!(message.contains(expected), "{text:?}: {message}");
        }
    }

    #[test]
    fn overlong_paths_are_refused() {
        let long_segment = format!("data.{}", "a".repeat(FieldPath::MAX_SEGMENT_CHARS + 1));
        assert!(FieldPath::parse(&long_segment).is_err());
        let many = ["data"; FieldPath::MAX_SEGMENTS + 1].join(".");
        assert!(FieldPath::parse(&many).is_err());
        let longest = format!("data.{}", ["abcdefghijklmnop"; 15].join("."));
        assert!(longest.len() > FieldPath::MAX_CHARS);
        assert!(FieldPath::parse(&longest).is_err());
    }
}
