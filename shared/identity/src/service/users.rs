//! Changing and deactivating accounts. A change commits the user at the
//! version read with its `user.*` event, and, when it ends sessions, with
//! a `session.revoked` event, in one transaction: a deactivated account
//! loses every session at once, and so does one whose role changed (tokens
//! carry the role); a new password ends every other session of its holder.
//! Sessions from before a deactivation stay over when the account is
//! reactivated, however it was deactivated.

use crate::auth::{password, Principal};
use crate::domain::{DisplayName, EntityId, NewPassword, Role};
use crate::events::{self, Actor, Envelope};
use crate::store::users::{SessionsAfter, UserRecord, UserStore};
use crate::store::{Store, StoreError};
use crate::view::UserView;
use opsflow_platform::error::ApiError;

/// What a change sets; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserChange {
    pub name: Option<DisplayName>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    pub new_password: Option<NewPassword>,
}

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// 409: the account changed since it was read.
    #[error("the user was changed concurrently; reload and retry")]
    Stale,
    /// 500: the new password could not be hashed.
    #[error("hashing the new password failed")]
    Hashing(#[source] anyhow::Error),
    /// The store failed (its own status: 409, 503 or 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<UserError> for ApiError {
    fn from(error: UserError) -> Self {
        match error {
            UserError::Stale => ApiError::Conflict(UserError::Stale.to_string()),
            UserError::Hashing(cause) => ApiError::Internal(cause),
            UserError::Store(error) => error.into(),
        }
    }
}

/// Applies `change` to `record` (as read) on behalf of `principal`.
pub async fn change_user(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    record: &mut UserRecord,
    change: UserChange,
) -> Result<(), UserError> {
    let before = record.user();
    if let Some(name) = change.name {
        record.name = name;
    }
    if let Some(role) = change.role {
        record.role = role;
    }
    if let Some(is_active) = change.is_active {
        record.is_active = is_active;
    }
    let new_password = change.new_password.is_some();
    if let Some(new_password) = &change.new_password {
        record.password_hash = password::hash(new_password.expose()).map_err(UserError::Hashing)?;
    }
    let event_type = if before.is_active != record.is_active {
        if record.is_active {
            events::USER_REACTIVATED
        } else {
            events::USER_DEACTIVATED
        }
    } else if before.role != record.role {
        events::USER_ROLE_CHANGED
    } else {
        events::USER_UPDATED
    };
    let mut event = user_event(event_type, principal, correlation_id, &record.id);
    if before.name != record.name {
        event = event.change("name", before.name.as_str(), record.name.as_str());
    }
    if before.role != record.role {
        event = event.change("role", before.role, record.role);
    }
    if before.is_active != record.is_active {
        event = event.change("is_active", before.is_active, record.is_active);
    }
    if new_password {
        event = event.change("password", "redacted", "redacted");
    }
    let (sessions, reason) = if !record.is_active && before.is_active {
        (SessionsAfter::Ended, Some("deactivated"))
    } else if record.is_active && !before.is_active {
        (SessionsAfter::Ended, Some("reactivated"))
    } else if before.role != record.role {
        (SessionsAfter::Ended, Some("role_changed"))
    } else if new_password {
        (
            SessionsAfter::EndedExcept(&principal.session_id),
            Some("password_changed"),
        )
    } else {
        (SessionsAfter::Kept, None)
    };
    let revoked = reason.map(|reason| revocation(principal, correlation_id, &record.id, reason));
    save(store, record, event, revoked, sessions).await
}

/// Deactivates `record` (an active account other than the principal's),
/// ending every session it has.
pub async fn deactivate_user(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    record: &mut UserRecord,
) -> Result<(), UserError> {
    record.is_active = false;
    let event = user_event(
        events::USER_DEACTIVATED,
        principal,
        correlation_id,
        &record.id,
    )
    .change("is_active", true, false);
    let revoked = revocation(principal, correlation_id, &record.id, "deactivated");
    save(store, record, event, Some(revoked), SessionsAfter::Ended).await
}

/// A user event whose `data` is filled in when the change is saved.
fn user_event(
    event_type: &str,
    principal: &Principal,
    correlation_id: &str,
    user_id: &EntityId,
) -> Envelope {
    Envelope::new(
        event_type,
        events::USER,
        *user_id,
        Actor::from(principal),
        correlation_id,
        serde_json::Value::Null,
    )
}

/// The `session.revoked` event of ending a user's sessions.
fn revocation(
    principal: &Principal,
    correlation_id: &str,
    user_id: &EntityId,
    reason: &str,
) -> Envelope {
    events::session_event(
        events::SESSION_REVOKED,
        &user_id.to_string(),
        user_id,
        Actor::from(principal),
        correlation_id,
        serde_json::json!({"reason": reason}),
    )
}

/// Stores the changed record with its event (and the sessions' event, if
/// they end), in one transaction; the event's `data` is the user as
/// stored.
async fn save(
    store: &Store,
    record: &mut UserRecord,
    mut event: Envelope,
    revoked: Option<Envelope>,
    sessions: SessionsAfter<'_>,
) -> Result<(), UserError> {
    let now = opsflow_platform::clock::now();
    let mut after = record.user();
    after.version += 1;
    after.updated_at = now;
    event.data = UserView::from(&after).to_value();
    let events: Vec<Envelope> = std::iter::once(event).chain(revoked).collect();
    match store.change_user(record, now, &events, sessions).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(UserError::Stale),
        Err(error) => Err(error.into()),
    }
}
