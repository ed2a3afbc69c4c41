//! The references of a description: every `$ref` in it, each checked to
//! name a part of the same document.

use serde_json::Value;

/// Every `$ref` in `doc`, each checked to name a part of it (panics
/// naming the first that does not): a module's test then looks for its
/// own schemas among them.
pub fn resolved_references(doc: &Value) -> Vec<String> {
    let mut found = Vec::new();
    references(doc, String::new(), &mut found);
    for (at, reference) in &found {
        let pointer = reference.trim_start_matches('#');
        assert!(
            doc.pointer(pointer).is_some(),
            "{at}: {reference} names nothing"
        );
    }
    found.into_iter().map(|(_, reference)| reference).collect()
}

/// Every `$ref` under `node` (at `at`), with its place.
fn references(node: &Value, at: String, found: &mut Vec<(String, String)>) {
    match node {
        Value::Object(fields) => {
            for (key, value) in fields {
                match (key.as_str(), value.as_str()) {
                    ("$ref", Some(reference)) => found.push((at.clone(), reference.to_owned())),
                    _ => references(value, format!("{at}/{key}"), found),
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                references(item, format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}
