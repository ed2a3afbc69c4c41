//! A pattern of event types (`<entity>.<verb>`, DESIGN §4): what starts an
//! automation rule (its trigger) and what a webhook subscription receives.
//!
//! A pattern is a dot-separated list of segments. Each segment is a name
//! (`[a-z][a-z0-9_]*`) that matches itself, or `*`, which matches exactly
//! one non-empty segment. A lone `*` is special: it matches every
//! event type, whatever its number of segments.
//!
//! | pattern | matches | does not match |
//! |---|---|---|
//! | `approval.approved` | `approval.approved` | `approval.rejected` |
//! | `approval.*` | `approval.created`, `approval.approved` | `approval`, `approval.step.completed`, `user.registered` |
//! | `*.created` | `workflow.created`, `item.created` | `workflow.updated` |
//! | `*` | everything | — |
//!
//! A pattern is at most [`EventPattern::MAX_CHARS`] characters and
//! [`EventPattern::MAX_SEGMENTS`] segments.

use serde::{Deserialize, Serialize};

/// A validated event-type pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventPattern(String);

impl EventPattern {
    pub const MAX_CHARS: usize = 100;
    pub const MAX_SEGMENTS: usize = 8;

    pub fn parse(input: &str) -> Result<Self, String> {
        if input.is_empty() {
            return Err("must not be empty".into());
        }
        if input.len() > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        if input == "*" {
            return Ok(Self(input.to_owned()));
        }
        let segments: Vec<&str> = input.split('.').collect();
        if segments.len() > Self::MAX_SEGMENTS {
            return Err(format!("must have at most {} segments", Self::MAX_SEGMENTS));
        }
        if let Some(bad) = segments.iter().find(|s| !is_segment(s)) {
            let shown = if bad.is_empty() {
                "an empty segment"
            } else {
                bad
            };
            return Err(format!(
                "has {shown:?}: each dot-separated segment must be a lower-case name \
                 ([a-z][a-z0-9_]*) or *, as in approval.approved or approval.*"
            ));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether an event of this type matches. Any text is a valid
    /// argument; a malformed event type simply does not match.
    pub fn matches(&self, event_type: &str) -> bool {
        if self.0 == "*" {
            return true;
        }
        let mut pattern = self.0.split('.');
        let mut actual = event_type.split('.');
        loop {
            match (pattern.next(), actual.next()) {
                (None, None) => return true,
                (Some(p), Some(a)) if p == a || (p == "*" && !a.is_empty()) => {}
                _ => return false,
            }
        }
    }

    /// Whether some event about `entity` (an event type starting with
    /// `<entity>.`) can match this pattern.
    pub fn can_match_entity(&self, entity: &str) -> bool {
        if self.0 == "*" {
            return true;
        }
        let first = self.0.split('.').next().unwrap_or_default();
        first == "*" || first == entity
    }
}

fn is_segment(segment: &str) -> bool {
    if segment == "*" {
        return true;
    }
    let mut chars = segment.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

impl TryFrom<String> for EventPattern {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EventPattern> for String {
    fn from(value: EventPattern) -> Self {
        value.0
    }
}

impl std::fmt::Display for EventPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> EventPattern {
        EventPattern::parse(text).unwrap()
    }

    /// Checks that `text` matches each of `matching` and none of `others`.
    fn check_matches(text: &str, matching: &[&str], others: &[&str]) {
        let t = pattern(text);
        for event_type in matching {
            assert!(t.matches(event_type), "{text} should match {event_type}");
        }
        for event_type in others {
            assert!(
                !t.matches(event_type),
                "{text} should not match {event_type}"
            );
        }
    }

    #[test]
    fn an_exact_pattern_matches_only_its_own_type() {
        let others = ["approval.rejected", "approval", "approval.approved.extra"];
        check_matches("approval.approved", &["approval.approved"], &others);
    }

    #[test]
    fn a_trailing_star_matches_exactly_one_segment() {
        let matching = ["approval.created", "approval.approved"];
        let others = [
            "approval",
            "approval.step.completed",
            "user.registered",
            "approvals.created",
        ];
        check_matches("approval.*", &matching, &others);
    }

    #[test]
    fn a_leading_star_matches_any_entity() {
        let matching = ["workflow.created", "item.created"];
        check_matches("*.created", &matching, &["workflow.updated", "created"]);
    }

    #[test]
    fn a_lone_star_matches_every_event_type() {
        let t = pattern("*");
        for event_type in ["user.registered", "a", "a.b.c.d", "", "Not Even.A Type"] {
            assert!(t.matches(event_type), "{event_type}");
        }
    }

    #[test]
    fn malformed_event_types_simply_do_not_match() {
        let t = pattern("user.registered");
        for event_type in [
            "",
            ".",
            "user.",
            ".registered",
            "user..registered",
            "USER.REGISTERED",
        ] {
            assert!(!t.matches(event_type), "{event_type}");
        }
        assert!(!pattern("user.*").matches("user."));
    }

    #[test]
    fn well_formed_patterns_are_accepted() {
        for text in [
            "user.registered",
            "approval.*",
            "*.created",
            "*",
            "*.*",
            "a1_b.c_2",
        ] {
            assert_eq!(pattern(text).as_str(), text);
        }
    }

    #[test]
    fn malformed_patterns_are_refused_with_a_message() {
        for text in [
            "",
            ".",
            "approval.",
            ".approved",
            "approval..approved",
            "Approval.approved",
            "approval.appr*",
            "approval.**",
            "1user.registered",
            "user registered",
            "user-registered",
            "user.registered ",
        ] {
            let message = EventPattern::parse(text).unwrap_err();
            assert!(!message.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn overlong_patterns_are_refused() {
        assert!(EventPattern::parse(&"a".repeat(EventPattern::MAX_CHARS + 1)).is_err());
        assert!(EventPattern::parse(&["a"; EventPattern::MAX_SEGMENTS + 1].join(".")).is_err());
        assert!(EventPattern::parse(&["a"; EventPattern::MAX_SEGMENTS].join(".")).is_ok());
    }

    #[test]
    fn can_match_entity_follows_the_first_segment() {
        assert!(pattern("approval.approved").can_match_entity("approval"));
        assert!(pattern("approval.*").can_match_entity("approval"));
        assert!(pattern("*.created").can_match_entity("approval"));
        assert!(pattern("*").can_match_entity("approval"));
        assert!(!pattern("user.registered").can_match_entity("approval"));
        assert!(!pattern("workflow.*").can_match_entity("approval"));
    }

    #[test]
    fn patterns_serialise_as_their_text_and_are_checked_when_read() {
        let t = pattern("approval.*");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"approval.*\"");
        let back: EventPattern = serde_json::from_str("\"approval.*\"").unwrap();
        assert_eq!(back, t);
        assert!(serde_json::from_str::<EventPattern>("\"Approval\"").is_err());
    }
}
