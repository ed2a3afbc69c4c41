//! Time as the platform records it: UTC, millisecond precision, RFC 3339.

use time::OffsetDateTime;

/// Now, truncated to milliseconds so stored and returned times agree.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_millisecond(now.millisecond()).unwrap_or(now)
}

/// A fixed-width UTC timestamp (`2026-11-22T09:15:02.041Z`) that sorts as
/// text in time order, for sort keys.
pub fn sortable(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
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
    use time::macros::datetime;

    #[test]
    fn sortable_times_have_a_fixed_width_and_sort_in_time_order() {
        let early = sortable(datetime!(2026-11-22 09:15:02.5 UTC));
        let late = sortable(datetime!(2026-11-22 09:15:02.041 +01:00));
        assert_eq!(early, "2026-11-22T09:15:02.500Z");
        assert_eq!(late, "2026-11-22T08:15:02.041Z");
        assert!(late < early);
    }
}
