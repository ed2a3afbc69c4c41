//! The kernel's domain types, which every module shares: entity ids and
//! roles, and the one rule for single-line text. Inputs become newtypes at
//! the edge (`parse` returns a `Result` with a client-facing message); past
//! the edge, code trusts them. Closed sets of names and bounded texts are
//! declared with [`string_enum!`] and [`text_newtype!`] (in `kinds`).

pub mod ids;
mod json;
mod kinds;
pub mod role;

pub use crate::{string_enum, text_newtype};
pub use ids::EntityId;
pub use json::JsonObject;
pub use role::Role;
/// The serde that [`string_enum!`] and [`text_newtype!`] expand to.
#[doc(hidden)]
pub use serde as __serde;

/// A single line of text as people type it: trimmed, 1 to `max_chars`
/// characters, no control characters. Names of people and things use it.
pub fn single_line(input: &str, max_chars: usize) -> Result<String, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(text.to_owned())
}

/// Free text as people type it: trimmed, at most `max_chars` characters,
/// possibly empty (descriptions, comments).
pub fn free_text(input: &str, max_chars: usize) -> Result<String, String> {
    let text = input.trim();
    if text.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    Ok(text.to_owned())
}
