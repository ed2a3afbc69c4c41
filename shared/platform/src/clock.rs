//! Time as the platform records it: UTC, millisecond precision, RFC 3339.
//!
//! Invariant: nothing here panics, whatever the time it is given. A time
//! a client sends is first checked with [`checked_utc`], which keeps it
//! within [`EARLIEST`]..=[`LATEST`] (four-digit years, so that every
//! [`sortable`] text has the same width and sorts in time order).

use time::macros::datetime;
use time::{OffsetDateTime, UtcOffset};

/// The earliest time a client may name (a query's `from`, say).
pub const EARLIEST: OffsetDateTime = datetime!(0001-01-01 00:00:00 UTC);
/// The latest time a client may name.
pub const LATEST: OffsetDateTime = datetime!(9999-12-31 23:59:59.999_999_999 UTC);

/// Now, truncated to milliseconds so stored and returned times agree.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_millisecond(now.millisecond()).unwrap_or(now)
}

/// A draw in `0..below` (0 when `below` is 0) from the system clock's
/// nanoseconds: enough to part writers that lost the same race. (Not
/// [`now`], whose nanoseconds are truncated to whole milliseconds.)
pub fn jitter(below: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    u64::from(nanos).checked_rem(below).unwrap_or(0)
}

/// Waits `millis` and up to `jitter_below` ms more ([`jitter`]) before a
/// write that lost a race is tried again.
pub async fn pause(millis: u64, jitter_below: u64) {
    let wait = millis + jitter(jitter_below);
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
}

/// `at` in UTC, if it lies within [`EARLIEST`]..=[`LATEST`]. A time such
/// as `9999-12-31T23:59:59-01:00` is a valid RFC 3339 text, but it falls
/// in the year 10000 once in UTC, which the platform does not represent.
pub fn checked_utc(at: OffsetDateTime) -> Option<OffsetDateTime> {
    at.checked_to_offset(UtcOffset::UTC)
        .filter(|utc| (EARLIEST..=LATEST).contains(utc))
}

/// `at` in UTC; a time beyond what UTC can represent is clamped to the
/// nearest end of the range, rather than panicking.
pub fn to_utc(at: OffsetDateTime) -> OffsetDateTime {
    at.checked_to_offset(UtcOffset::UTC).unwrap_or_else(|| {
        if at.year() > 0 {
            time::PrimitiveDateTime::MAX.assume_utc()
        } else {
            time::PrimitiveDateTime::MIN.assume_utc()
        }
    })
}

/// Milliseconds since the Unix epoch (negative before it), as keys,
/// derived ids and conditions count time.
pub fn epoch_millis(at: OffsetDateTime) -> i64 {
    // An OffsetDateTime is within ±9999 years: its milliseconds fit.
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// A fixed-width UTC timestamp (`2026-11-22T09:15:02.041Z`) that sorts as
/// text in time order, for sort keys. Fixed width holds for times within
/// [`EARLIEST`]..=[`LATEST`].
pub fn sortable(at: OffsetDateTime) -> String {
    let at = to_utc(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sortable_times_have_a_fixed_width_and_sort_in_time_order() {
        let early = sortable(datetime!(2026-11-22 09:15:02.5 UTC));
        let late = sortable(datetime!(2026-11-22 09:15:02.041 +01:00));
        assert_eq!(early, "2026-11-22T09:15:02.500Z");
        assert_eq!(late, "2026-11-22T08:15:02.041Z");
        assert!(late < early);
    }

    #[test]
    fn times_beyond_utc_are_refused_or_clamped_never_a_panic() {
        let beyond = datetime!(9999-12-31 23:59:59 -01:00);
        let before = datetime!(-9999-01-01 00:00:00 +01:00);
        assert_eq!(checked_utc(beyond), None);
        assert_eq!(checked_utc(before), None);
        assert_eq!(checked_utc(datetime!(0000-12-31 23:00:00 UTC)), None);
        assert_eq!(
            checked_utc(datetime!(9999-12-31 23:59:59 +01:00)),
            Some(datetime!(9999-12-31 22:59:59 UTC))
        );
        assert_eq!(sortable(beyond), "9999-12-31T23:59:59.999Z");
        assert_eq!(to_utc(before).year(), -9999);
    }
}
