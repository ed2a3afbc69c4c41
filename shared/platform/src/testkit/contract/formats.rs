//! The `format`s of strings the contract check reads, and what each
//! accepts.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The formats the check reads; any other fails it.
pub const FORMATS: &[&str] = &[
    "uuid",
    "date",
    "date-time",
    "email",
    "int32",
    "int64",
    "double",
];

/// Whether string `text` fits format `rule` (the number formats say
/// nothing about a string).
pub fn string_fits(rule: &Value, text: &str) -> bool {
    match rule.as_str().unwrap_or_default() {
        "uuid" => is_uuid(text),
        "date-time" => OffsetDateTime::parse(text, &Rfc3339).is_ok(),
        "date" => time::Date::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_ok(),
        "email" => text
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty()),
        _ => true,
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
