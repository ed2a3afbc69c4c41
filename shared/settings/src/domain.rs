//! Settings: a fixed set of documented keys, each with a type, a default
//! and a meaning ([`DEFINITIONS`]). A key that is not defined does not
//! exist; a value is stored only once an admin has set it, and until then
//! the key has its default.
//!
//! Invariant: a stored value always has its key's type and bounds
//! ([`Definition::check`] is the one way in).

use serde_json::Value;

/// What values a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text, trimmed, 1 to `max_chars` characters.
    Text {
        max_chars: usize,
    },
    Boolean,
    /// A whole number from `min` to `max`.
    Integer {
        min: i64,
        max: i64,
    },
}

impl Kind {
    /// The type's name as clients see it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Text { .. } => "string",
            Self::Boolean => "boolean",
            Self::Integer { .. } => "integer",
        }
    }
}

/// One setting's key, type, default and meaning.
#[derive(Debug, Clone, Copy)]
pub struct Definition {
    pub key: &'static str,
    pub kind: Kind,
    pub default: Default,
    pub description: &'static str,
}

/// A default value (a `const` cannot hold a `serde_json::Value`).
#[derive(Debug, Clone, Copy)]
pub enum Default {
    Text(&'static str),
    Boolean(bool),
}

impl Default {
    pub fn value(self) -> Value {
        match self {
            Self::Text(text) => Value::from(text),
            Self::Boolean(on) => Value::from(on),
        }
    }
}

/// Every setting there is, in the order listings show them.
pub const DEFINITIONS: [Definition; 4] = [
    Definition {
        key: "app.name",
        kind: Kind::Text { max_chars: 100 },
        default: Default::Text("Opsflow"),
        description: "The platform's name, as clients and e-mails show it.",
    },
    Definition {
        key: "app.version",
        kind: Kind::Text { max_chars: 32 },
        default: Default::Text("1.0.0"),
        description: "The release clients show to their users.",
    },
    Definition {
        key: "features.dark_mode",
        kind: Kind::Boolean,
        default: Default::Boolean(false),
        description: "Whether clients offer a dark theme.",
    },
    Definition {
        key: "features.analytics",
        kind: Kind::Boolean,
        default: Default::Boolean(true),
        description: "Whether clients show the analytics pages.",
    },
];

/// The definition of `key`, if it is a setting.
pub fn definition(key: &str) -> Option<&'static Definition> {
    DEFINITIONS.iter().find(|d| d.key == key)
}

impl Definition {
    /// `value` as this key stores it, or why it cannot be.
    pub fn check(&self, value: &Value) -> Result<Value, String> {
        match (self.kind, value) {
            (Kind::Text { max_chars }, Value::String(text)) => {
                opsflow_platform::domain::single_line(text, max_chars).map(Value::from)
            }
            (Kind::Boolean, Value::Bool(_)) => Ok(value.clone()),
            (Kind::Integer { min, max }, Value::Number(number)) => match number.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(value.clone()),
                _ => Err(format!("must be a whole number from {min} to {max}")),
            },
            (kind, _) => Err(format!("must be a {}", kind.name())),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn every_default_has_its_keys_type() {
        for definition in DEFINITIONS {
            let default = definition.default.value();
            assert_eq!(
                definition.check(&default),
                Ok(default),
                "{}",
                definition.key
            );
        }
        let keys: Vec<&str> = DEFINITIONS.iter().map(|d| d.key).collect();
        let mut unique = keys.clone();
        unique.dedup();
        assert_eq!(keys, unique);
    }

    #[test]
    fn values_are_checked_against_their_keys_type() {
        let name = definition("app.name").unwrap();
        assert_eq!(name.check(&json!("  Ops ")), Ok(json!("Ops")));
        assert_eq!(name.check(&json!(true)).unwrap_err(), "must be a string");
        assert!(name.check(&json!("x".repeat(101))).is_err());
        assert!(name.check(&json!(" ")).is_err());
        let dark = definition("features.dark_mode").unwrap();
        assert_eq!(dark.check(&json!(true)), Ok(json!(true)));
        assert_eq!(dark.check(&json!("true")).unwrap_err(), "must be a boolean");
        assert!(dark.check(&json!(null)).is_err());
        let counted = Definition {
            key: "t",
            kind: Kind::Integer { min: 1, max: 10 },
            default: Default::Boolean(false),
            description: "",
        };
        assert_eq!(counted.check(&json!(10)), Ok(json!(10)));
        assert!(counted.check(&json!(11)).is_err());
        assert!(counted.check(&json!(2.5)).is_err());
        assert!(definition("app.colour").is_none());
    }
}
