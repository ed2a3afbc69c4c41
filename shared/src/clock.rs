//! Time as the platform records it: UTC, millisecond precision, RFC 3339.

use time::OffsetDateTime;

/// Now, truncated to milliseconds so stored and returned times agree.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_millisecond(now.millisecond()).unwrap_or(now)
}
