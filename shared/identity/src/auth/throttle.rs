//! Password throttling, shared by login and password change: the two
//! places that tell a caller whether a password is right.
//!
//! Every check of an account's password passes a backoff gate first
//! (`store::ratelimit`), keyed by the account's e-mail address and the
//! caller's source address, so login and `PATCH /api/v1/users/{id}` with
//! `current_password` draw on one allowance per address: the attempt is
//! counted before the password is verified, and the right password resets
//! the count. A stranger's failures delay the stranger's address, never the
//! owner's. Across all addresses an account takes at most
//! `LOGIN_ATTEMPTS_PER_ACCOUNT` attempts a window, a ceiling for guesses
//! spread over many addresses. Unknown e-mail addresses have gates too, so
//! a gate tells nothing about whether an account exists.

use crate::config::LoginLimits;
use crate::domain::Email;
use crate::error::{ApiError, ApiResult};
use crate::store::ratelimit::{Backoff, Gate};
use crate::store::Store;
use time::{Duration, OffsetDateTime};

/// The gate scope of password attempts.
const SCOPE: &str = "password";

/// The per-account schedule of the limits.
pub fn backoff(limits: &LoginLimits) -> Backoff {
    let secs = |s: u64| Duration::seconds(i64::try_from(s).unwrap_or_default());
    Backoff {
        free_attempts: limits.failures_per_email.max(1),
        unit: Duration::milliseconds(
            i64::try_from(limits.backoff_unit_ms.min(86_400_000)).unwrap_or_default(),
        ),
        max_delay: secs(limits.backoff_max_secs.min(86_400)),
        forget_after: secs(limits.email_window_secs.min(30 * 86_400)),
    }
}

/// A 429 with `Retry-After`.
pub fn too_many(detail: &str, retry_after: u64) -> ApiError {
    ApiError::TooManyRequests {
        detail: detail.into(),
        retry_after,
    }
}

/// The gate scope of the ceiling on an account's attempts from anywhere.
const ACCOUNT_SCOPE: &str = "password-account";

/// The gate of one account's attempts from one source address.
fn gate_subject(email: &Email, source: &str) -> String {
    format!("{}#{source}", email.as_str())
}

/// Counts a password attempt on `email`'s account from `source` (the
/// caller's address), or refuses it with 429 while that gate is closed or
/// the account's ceiling is reached. Returns the attempt's number from
/// this address since its last success.
pub async fn enter(
    store: &Store,
    limits: &LoginLimits,
    email: &Email,
    source: &str,
    now: OffsetDateTime,
) -> ApiResult<u32> {
    let everywhere = store
        .bump_counter(ACCOUNT_SCOPE, email.as_str(), limits.email_window_secs, now)
        .await?;
    if everywhere.count > limits.attempts_per_account.max(1) {
        return Err(too_many(
            "too many password attempts for this account; retry later",
            everywhere.resets_in,
        ));
    }
    let subject = gate_subject(email, source);
    match store
        .enter_gate(SCOPE, &subject, &backoff(limits), now)
        .await?
    {
        Gate::Open { attempt } => Ok(attempt),
        Gate::Closed { retry_after } => Err(too_many(
            "too many password attempts for this account; retry later",
            retry_after,
        )),
    }
}

/// The right password was given from `source`: its count starts again.
pub async fn passed(store: &Store, email: &Email, source: &str) -> ApiResult<()> {
    store
        .reset_gate(SCOPE, &gate_subject(email, source))
        .await?;
    Ok(())
}
