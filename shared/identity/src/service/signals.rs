//! What identity tells the platform's detectors: how many sign-ins failed
//! lately, across every account and address. Each login refused for bad
//! credentials adds one to a counter of fixed five-minute windows (kept
//! one window past its end, for the reader of the window before the
//! current one); a refusal by a throttle counts nothing (the password was
//! not checked).

use crate::store::Store;
use opsflow_platform::store::StoreError;
use time::{Duration, OffsetDateTime};

/// The counter's scope and subject (`RATE#login-failures#all#<window>`).
const SCOPE: &str = "login-failures";
const SUBJECT: &str = "all";
/// The length of one window.
pub const FAILED_LOGIN_WINDOW: Duration = Duration::minutes(5);

fn window_secs() -> u64 {
    FAILED_LOGIN_WINDOW.whole_seconds().unsigned_abs()
}

/// Counts a login refused for bad credentials at `now`.
pub async fn count_failed_login(store: &Store, now: OffsetDateTime) -> Result<(), StoreError> {
    store
        .bump_counter_kept(SCOPE, SUBJECT, window_secs(), window_secs(), now)
        .await
        .map(|_| ())
}

/// The logins refused for bad credentials in the window of `now` and the
/// one before it: over the last five to ten minutes.
pub async fn recent_failed_logins(store: &Store, now: OffsetDateTime) -> Result<u64, StoreError> {
    let (current, previous) = futures::try_join!(
        store.read_counter(SCOPE, SUBJECT, window_secs(), now),
        store.read_counter(SCOPE, SUBJECT, window_secs(), now - FAILED_LOGIN_WINDOW),
    )?;
    Ok(u64::from(current.count) + u64::from(previous.count))
}
