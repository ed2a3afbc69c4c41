//! The envelope's format version (`schema`). Consumers refuse fields they
//! do not know (`deny_unknown_fields`), so a new format reaches the queues
//! in two releases: the first reads it ([`NEWEST_ENVELOPE_SCHEMA_READ`]),
//! the next writes it ([`ENVELOPE_SCHEMA`]).
//!
//! Invariant: format 1 is the envelope without `schema` (every release
//! reads it, including those from before formats had numbers); a later
//! format is always written out; an envelope of a format newer than this
//! release reads is refused when read, so a consumer never takes it for
//! one it knows (the message is retried, then kept in the dead-letter
//! queue until a release that reads it is deployed and it is redriven).

use serde::{Deserialize, Deserializer};

/// The envelope format this release writes.
pub const ENVELOPE_SCHEMA: u32 = 1;

/// The newest envelope format this release reads: a release raises it
/// before the next one raises [`ENVELOPE_SCHEMA`] to match.
pub const NEWEST_ENVELOPE_SCHEMA_READ: u32 = 1;

const _: () = assert!(ENVELOPE_SCHEMA <= NEWEST_ENVELOPE_SCHEMA_READ);

/// The format of an envelope without `schema`.
pub(super) fn first() -> u32 {
    1
}

/// Format 1 is written without `schema` (readers of every release take it).
pub(super) fn is_first(schema: &u32) -> bool {
    *schema == 1
}

/// Reads `schema`, refusing 0 and formats newer than
/// [`NEWEST_ENVELOPE_SCHEMA_READ`].
pub(super) fn known<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let schema = u32::deserialize(deserializer)?;
    if schema == 0 || schema > NEWEST_ENVELOPE_SCHEMA_READ {
        return Err(serde::de::Error::custom(format!(
            "envelope schema {schema} is not one this release reads (1 to {NEWEST_ENVELOPE_SCHEMA_READ})"
        )));
    }
    Ok(schema)
}
