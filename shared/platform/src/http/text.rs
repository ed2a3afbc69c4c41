//! Text the event pipeline cannot carry: a character SQS refuses
//! (`events::queue_accepts`), in any string or key of a request body, is
//! refused at the edge with the path of the field that holds it.

use crate::error::{ApiError, ApiResult};

/// Refuses a body with a character, in any string or key, that SQS cannot
/// carry (`events::queue_accepts`: control characters other than tab and
/// line breaks, U+FFFE, U+FFFF): such text would reach an event, and is
/// no one's real input. 422, naming the field.
pub(super) fn refuse_unsendable_text(bytes: &[u8]) -> ApiResult<()> {
    // Such a character reaches a string either raw (U+FFFE and U+FFFF are
    // EF BF BE / EF BF BF in UTF-8; raw control characters are not JSON)
    // or as a `\u` escape; a body with neither is let through unread.
    let raw = bytes
        .windows(3)
        .any(|w| w[0] == 0xEF && w[1] == 0xBF && (w[2] == 0xBE || w[2] == 0xBF));
    let escaped = bytes.windows(2).any(|w| w == b"\\u");
    if !raw && !escaped {
        return Ok(());
    }
    // Malformed JSON is left to the typed parse, which names the problem.
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    match unsendable_at(&value, "") {
        Some(field) => Err(ApiError::invalid_field(
            field,
            "contains a character that cannot be stored (a control character, U+FFFE or U+FFFF)",
        )),
        None => Ok(()),
    }
}

/// The path (`payload.items[2].name`) of the first string or key holding a
/// character SQS refuses.
fn unsendable_at(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    let bad = |text: &str| !text.chars().all(crate::events::queue_accepts);
    match value {
        Value::String(text) if bad(text) => Some(path_or_body(path)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| unsendable_at(item, &format!("{}[{i}]", path_or_body(path)))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let key_path = if path.is_empty() {
                crate::events::queue_safe(key).into_owned()
            } else {
                format!("{path}.{}", crate::events::queue_safe(key))
            };
            if bad(key) {
                Some(key_path)
            } else {
                unsendable_at(item, &key_path)
            }
        }),
        _ => None,
    }
}

fn path_or_body(path: &str) -> String {
    if path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    }
}
