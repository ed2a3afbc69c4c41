//! The events' vocabulary, which the audit log keys its records by: what
//! may name a kind of entity, an entity or a user, and an action (an event
//! type). Every audit key is built from these, so they keep the key layout
//! unambiguous: a kind never contains `#` (it is the
//! middle part of `ENTITY#<entity>#<entity_id>`), and nothing in a key
//! carries control characters.

use std::fmt;

/// What a client's own actions are prefixed with in the log, so that a
/// client-side entry can never pass for a platform action (the kernel's
/// router knows them by the same prefix).
pub const CLIENT_ACTION_PREFIX: &str = super::CLIENT_EVENT_PREFIX;

fn pattern(input: &str, max_chars: usize, extra: &[char]) -> Result<(), String> {
    let mut chars = input.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c));
    let extra: String = extra.iter().map(|c| format!(" `{c}`")).collect();
    if first_ok && rest_ok && input.len() <= max_chars {
        Ok(())
    } else {
        Err(format!(
            "must be 1 to {max_chars} characters: a lowercase letter, then lowercase letters, digits or{extra}"
        ))
    }
}

/// A kind of entity (`user`, `workflow`, …): `^[a-z][a-z0-9_]{0,31}$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityKind(String);

impl EntityKind {
    pub const MAX_CHARS: usize = 32;

    pub fn parse(input: &str) -> Result<Self, String> {
        pattern(input, Self::MAX_CHARS, &['_']).map(|()| Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An entity's or a user's id as the log keys it: 1 to 128 characters,
/// none of them a control character. Ids are not required to be UUIDs: the
/// platform's own actor is `system`, and clients report on their own
/// entities.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuditId(String);

impl AuditId {
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: &str) -> Result<Self, String> {
        let count = input.chars().count();
        if count == 0 || count > Self::MAX_CHARS {
            return Err(format!("must be 1 to {} characters", Self::MAX_CHARS));
        }
        if input.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<crate::domain::EntityId> for AuditId {
    fn from(id: crate::domain::EntityId) -> Self {
        Self(id.to_string())
    }
}

impl fmt::Display for AuditId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An action as the log records it, i.e. an event type (`user.role_changed`,
/// `client.report.exported`): `^[a-z][a-z0-9_.]{0,127}$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActionName(String);

impl ActionName {
    pub const MAX_CHARS: usize = 128;

    /// Parses an action in any case (`USER.ROLE_CHANGED` finds
    /// `user.role_changed`).
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.to_ascii_lowercase();
        pattern(&input, Self::MAX_CHARS, &['_', '.']).map(|()| Self(input))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An action a client reports about itself: `^[a-z][a-z0-9_.]{0,63}$`. It
/// is logged as `client.<action>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAction(String);

impl ClientAction {
    pub const MAX_CHARS: usize = 64;

    /// Parses an action in any case (`Report.Exported` is
    /// `report.exported`), as clients written for other systems send them.
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.to_ascii_lowercase();
        pattern(&input, Self::MAX_CHARS, &['_', '.']).map(|()| Self(input))
    }

    /// The event type, and so the logged action: `client.<action>`.
    pub fn event_type(&self) -> String {
        format!("{CLIENT_ACTION_PREFIX}{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kinds_are_short_lowercase_words() {
        assert!(EntityKind::parse("workflow").is_ok());
        assert!(EntityKind::parse("purchase_order2").is_ok());
        assert!(EntityKind::parse(&"a".repeat(32)).is_ok());
        for bad in ["", "Workflow", "2fa", "a#b", "a.b", "a-b", &"a".repeat(33)] {
            assert!(EntityKind::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn actions_allow_dots_and_clients_get_the_shorter_limit() {
        assert!(ActionName::parse("client.report.exported").is_ok());
        assert!(ActionName::parse(&"a".repeat(128)).is_ok());
        assert!(ActionName::parse(&"a".repeat(129)).is_err());
        assert!(ActionName::parse(".hidden").is_err());
        assert!(ClientAction::parse(&"a".repeat(64)).is_ok());
        assert!(ClientAction::parse(&"a".repeat(65)).is_err());
        assert_eq!(
            ClientAction::parse("Report.Exported").unwrap().event_type(),
            "client.report.exported",
            "any case, kept in lower case"
        );
        assert_eq!(
            ActionName::parse("USER.ROLE_CHANGED").unwrap().as_str(),
            "user.role_changed"
        );
        assert!(ClientAction::parse("Export-1").is_err());
        assert!(ClientAction::parse("export report").is_err());
        assert_eq!(
            ClientAction::parse("report.exported").unwrap().event_type(),
            "client.report.exported"
        );
    }

    #[test]
    fn ids_are_short_text_without_control_characters() {
        assert!(AuditId::parse("system").is_ok());
        assert!(AuditId::parse("order #42 / ü").is_ok());
        assert!(AuditId::parse(&"é".repeat(128)).is_ok());
        for bad in ["", "a\nb", "\u{7f}", &"x".repeat(129)] {
            assert!(AuditId::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn accepted_kinds_never_contain_a_key_separator(input in ".{0,40}") {
            if let Ok(kind) = EntityKind::parse(&input) {
                prop_assert!(!kind.as_str().contains('#'));
                prop_assert!(kind.as_str().len() <= EntityKind::MAX_CHARS);
            }
        }

        #[test]
        fn accepted_actions_are_plain_ascii(input in ".{0,70}") {
            if let Ok(action) = ClientAction::parse(&input) {
                let logged = action.event_type();
                prop_assert!(ActionName::parse(&logged).is_ok());
                prop_assert!(logged.bytes().all(|b| b.is_ascii_graphic()));
            }
        }
    }
}
