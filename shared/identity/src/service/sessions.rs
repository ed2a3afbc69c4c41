//! Sessions: starting one for a verified login, rotating its refresh token,
//! ending it, and recording a spent burst of password attempts. The only
//! code that writes sessions. Each change commits its `session.*` event in
//! the transaction that makes it, so the audit trail never misses a login,
//! a logout or a refresh token's reuse.
//!
//! Throttling and password checks come before these calls (the `auth`
//! API's login runs them); a refresh token is never stored, only its
//! fingerprint, and a rotated token that comes back revokes its session.

use crate::auth::{secret, TokenSigner, ACCESS_TOKEN_TTL};
use crate::domain::Email;
use crate::events::{self, Actor, Envelope};
use crate::store::sessions::{Rotation, SessionStore};
use crate::store::users::{UserRecord, UserStore};
use crate::store::{Store, StoreError};
use crate::view::UserView;
use opsflow_platform::auth::Principal;
use opsflow_platform::error::ApiError;
use time::OffsetDateTime;

/// Where a session change comes from: for its event.
pub struct Origin<'a> {
    pub correlation_id: &'a str,
    /// API Gateway's `sourceIp`.
    pub source_ip: Option<&'a str>,
}

/// What a login or a refresh hands the client.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tokens {
    /// The access token (a JWT) to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^Bearer$"))]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub expires_in: i64,
    /// The refresh token: spent by its one use on `POST /api/v1/auth/refresh`.
    pub refresh_token: String,
    /// The signed-in account.
    pub user: UserView,
}

/// Why a session was not started or renewed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// 403: the account is deactivated.
    #[error("this account is deactivated")]
    Deactivated,
    /// 401: unknown, expired or revoked refresh token, or its account is
    /// gone or deactivated.
    #[error("the refresh token is invalid or expired")]
    RefreshRefused,
    /// 401: a refresh token that was already rotated came back; its
    /// session is now revoked.
    #[error("the refresh token was already used; the session has been revoked")]
    RefreshReused,
    /// 500: a token or secret could not be made.
    #[error("issuing the tokens failed")]
    Issuing(#[source] anyhow::Error),
    /// The store failed (its own status: 409, 503 or 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::Deactivated => ApiError::Forbidden(error.to_string()),
            SessionError::RefreshRefused | SessionError::RefreshReused => {
                ApiError::Unauthorized(error.to_string())
            }
            SessionError::Issuing(cause) => ApiError::Internal(cause),
            SessionError::Store(error) => error.into(),
        }
    }
}

/// Nobody signed in: the actor of what happens to a refresh token.
pub fn anonymous() -> Actor {
    Actor {
        id: "anonymous".into(),
        role: "anonymous".into(),
    }
}

/// Starts a session for `record`, whose password was just verified:
/// commits the session with its `session.login` event, then issues its
/// tokens.
pub async fn start(
    store: &Store,
    signer: &TokenSigner,
    record: &UserRecord,
    origin: &Origin<'_>,
    now: OffsetDateTime,
) -> Result<Tokens, SessionError> {
    if !record.is_active {
        return Err(SessionError::Deactivated);
    }
    let refresh_token = secret::generate().map_err(SessionError::Issuing)?;
    let actor = Actor {
        id: record.id.to_string(),
        role: record.role.to_string(),
    };
    let session = store
        .create_session(
            record.id,
            record.session_generation,
            &secret::fingerprint(&refresh_token),
            now,
            |session_id| {
                events::session_event(
                    events::SESSION_LOGIN,
                    session_id,
                    &record.id,
                    actor,
                    origin.correlation_id,
                    serde_json::json!({"source_ip": origin.source_ip}),
                )
            },
        )
        .await?;
    tracing::info!(user_id = %record.id, session_id = %session.id, "login succeeded");
    tokens(signer, record, &session.id, refresh_token, now)
}

/// Exchanges a current refresh token for new tokens. A token that was
/// already rotated revokes its session and commits `session.refresh_reused`.
pub async fn refresh(
    store: &Store,
    signer: &TokenSigner,
    presented: &str,
    origin: &Origin<'_>,
    now: OffsetDateTime,
) -> Result<Tokens, SessionError> {
    if !secret::is_well_formed(presented) {
        return Err(SessionError::RefreshRefused);
    }
    let next_token = secret::generate().map_err(SessionError::Issuing)?;
    let rotation = store
        .rotate_refresh_token(
            &secret::fingerprint(presented),
            &secret::fingerprint(&next_token),
            now,
            |session_id, user_id| {
                events::session_event(
                    events::SESSION_REFRESH_REUSED,
                    session_id,
                    user_id,
                    anonymous(),
                    origin.correlation_id,
                    serde_json::json!({"source_ip": origin.source_ip}),
                )
            },
        )
        .await?;
    let session = match rotation {
        Rotation::Rotated(session) => session,
        Rotation::Refused => return Err(SessionError::RefreshRefused),
        Rotation::Reused => {
            tracing::warn!("refresh token reuse: session revoked");
            return Err(SessionError::RefreshReused);
        }
    };
    let record = store.user_by_id(&session.user_id).await?;
    let Some(record) = record.filter(|r| r.is_active) else {
        store.revoke_session(&session.id).await?;
        return Err(SessionError::RefreshRefused);
    };
    tokens(signer, &record, &session.id, next_token, now)
}

/// Ends the caller's session with its `session.logout` event.
pub async fn end(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
) -> Result<(), SessionError> {
    let event = events::session_event(
        events::SESSION_LOGOUT,
        &principal.session_id,
        &principal.user_id,
        Actor::from(principal),
        correlation_id,
        serde_json::Value::Null,
    );
    store
        .revoke_session_with_event(&principal.session_id, &event)
        .await?;
    tracing::info!(user_id = %principal.user_id, session_id = %principal.session_id, "logged out");
    Ok(())
}

/// Records that an account's free password attempts are spent: a
/// `user.login_failures_exceeded` event (about the account, or about the
/// address when no account has it). Attempts are numbered one by one at
/// the gate, so exactly one failed attempt per burst has the number that
/// spends them, and it alone records the event.
pub async fn record_spent_attempts(
    store: &Store,
    email: &Email,
    account: Option<&UserRecord>,
    failed: u32,
    window_secs: u64,
    origin: &Origin<'_>,
) -> Result<(), SessionError> {
    let (entity, entity_id) = match account {
        Some(account) => ("user", account.id.to_string()),
        None => ("login", email.to_string()),
    };
    let event = Envelope::new(
        "user.login_failures_exceeded",
        entity,
        &entity_id,
        anonymous(),
        origin.correlation_id,
        serde_json::json!({
            "email": email.as_str(),
            "source_ip": origin.source_ip,
            "window_secs": window_secs,
        }),
    )
    .change("failed_logins", failed - 1, failed);
    store.publish_event(&event).await?;
    Ok(())
}

fn tokens(
    signer: &TokenSigner,
    record: &UserRecord,
    session_id: &str,
    refresh_token: String,
    now: OffsetDateTime,
) -> Result<Tokens, SessionError> {
    let access = signer
        .issue(
            &record.id,
            record.role,
            (session_id, record.session_generation),
            now,
        )
        .map_err(SessionError::Issuing)?;
    Ok(Tokens {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.whole_seconds(),
        refresh_token,
        user: UserView::from(&record.user()),
    })
}
