//! Counter windows and the backoff schedule of the gates.

use super::*;
use time::Duration;

#[test]
fn windows_report_the_seconds_left() {
    let at = |secs| OffsetDateTime::from_unix_timestamp(secs).unwrap();
    assert_eq!(window(at(600), 300), (2, 300));
    assert_eq!(window(at(899), 300), (2, 1));
    assert_eq!(window(at(900), 300), (3, 300));
}

#[test]
fn the_backoff_doubles_after_the_free_attempts_up_to_its_cap() {
    let policy = Backoff {
        free_attempts: 5,
        unit: Duration::seconds(1),
        max_delay: Duration::minutes(15),
        forget_after: Duration::hours(1),
    };
    let delays: Vec<i64> = (1..=16)
        .map(|n| policy.delay_after(n).whole_seconds())
        .collect();
    assert_eq!(
        delays,
        [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    );
    assert_eq!(policy.delay_after(u32::MAX), Duration::minutes(15));
}

#[test]
fn waits_round_up_to_whole_seconds() {
    assert_eq!(seconds_until(1_500, 1_000), 1);
    assert_eq!(seconds_until(3_001, 1_000), 3);
    assert_eq!(seconds_until(1_000, 1_000), 1);
}
