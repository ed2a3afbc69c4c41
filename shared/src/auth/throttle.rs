//! Password throttling, shared by login and password change: the two
//! places that tell a caller whether a password is right.
//!
//! Every check of an account's password passes its backoff gate first
//! (`store::ratelimit`), keyed by the account's e-mail address, so login and
//! `PATCH /users/{id}` with `current_password` draw on one allowance: the
//! attempt is counted before the password is verified, and the right
//! password resets the count. Unknown addresses have gates too, so a gate
//! tells nothing about whether an account exists.

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

/// Counts a password attempt on `email`'s account, or refuses it with 429
/// while the account's gate is closed. Returns the attempt's number since
/// the last success.
pub async fn enter(
    store: &Store,
    limits: &LoginLimits,
    email: &Email,
    now: OffsetDateTime,
) -> ApiResult<u32> {
    match store
        .enter_gate(SCOPE, email.as_str(), &backoff(limits), now)
        .await?
    {
        Gate::Open { attempt } => Ok(attempt),
        Gate::Closed { retry_after } => Err(too_many(
            "too many password attempts for this account; retry later",
            retry_after,
        )),
    }
}

/// The right password was given: the account's count starts again.
pub async fn passed(store: &Store, email: &Email) -> ApiResult<()> {
    store.reset_gate(SCOPE, email.as_str()).await?;
    Ok(())
}
