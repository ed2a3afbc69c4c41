//! Entity ids: UUIDv7, so ids sort by creation time, rendered as strings.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A UUIDv7 entity id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntityId(Uuid);

impl EntityId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Parses a client-supplied id. Any well-formed UUID is accepted, so a
    /// lookup of a foreign id simply finds nothing.
    pub fn parse(input: &str) -> Result<Self, String> {
        Uuid::try_parse(input)
            .map(Self)
            .map_err(|_| "must be a UUID".to_owned())
    }
}

impl Default for EntityId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.as_hyphenated().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_text() {
        let id = EntityId::new();
        assert_eq!(EntityId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn non_uuid_ids_are_refused() {
        assert!(EntityId::parse("../etc/passwd").is_err());
        assert!(EntityId::parse("").is_err());
    }
}
