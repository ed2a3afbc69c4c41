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

    /// A UUIDv7 that is a function of its inputs: `millis` as its time and
    /// a SHA-256 of `parts` as its random bits. Whoever derives an id from
    /// the same inputs gets the same id, which makes a repeated write of
    /// the same thing detectable (`attribute_not_exists`).
    pub fn derived(millis: u64, parts: &[&[u8]]) -> Self {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        for part in parts {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part);
        }
        let digest = context.finish();
        let mut random = [0u8; 10];
        random.copy_from_slice(&digest.as_ref()[..10]);
        Self(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
    }

    /// The lowest UUIDv7 of millisecond `millis`: every id made at or
    /// after that time sorts above it, every earlier one below (a key
    /// bound for "created before").
    pub fn earliest_at(millis: u64) -> Self {
        Self(uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid())
    }

    /// The time a UUIDv7 holds, to the millisecond (`None` for another
    /// version of UUID).
    pub fn time(&self) -> Option<time::OffsetDateTime> {
        let (seconds, nanos) = self.0.get_timestamp()?.to_unix();
        let at = time::OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).ok()?).ok()?;
        Some(at + time::Duration::nanoseconds(i64::from(nanos)))
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
    fn derived_ids_depend_only_on_their_inputs() {
        let a = EntityId::derived(1_700_000_000_000, &[b"event", b"rule", b"0"]);
        assert_eq!(
            a,
            EntityId::derived(1_700_000_000_000, &[b"event", b"rule", b"0"])
        );
        assert_ne!(
            a,
            EntityId::derived(1_700_000_000_000, &[b"event", b"rule", b"1"])
        );
        assert_ne!(
            a,
            EntityId::derived(1_700_000_000_000, &[b"event", b"ruler", b""])
        );
        assert_eq!(a.0.get_version_num(), 7);
    }

    #[test]
    fn the_earliest_id_of_a_millisecond_sorts_below_every_id_made_from_then() {
        let bound = EntityId::earliest_at(1_700_000_000_000);
        let same_ms = EntityId::derived(1_700_000_000_000, &[b"x"]);
        let before = EntityId::derived(1_699_999_999_999, &[b"\xff"]);
        assert!(bound.to_string() <= same_ms.to_string());
        assert!(before.to_string() < bound.to_string());
        assert!(bound.to_string() < EntityId::new().to_string());
    }

    #[test]
    fn non_uuid_ids_are_refused() {
        assert!(EntityId::parse("../etc/passwd").is_err());
        assert!(EntityId::parse("").is_err());
    }
}
