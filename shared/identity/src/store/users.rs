//! User accounts and their e-mail guards.
//!
//! Access patterns:
//! - user by id: `GetItem pk=USER#<id>, sk=USER`
//! - user by e-mail: `GetItem pk=EMAIL#<email>, sk=EMAIL` → `user_id`, then by id
//! - all users, newest first: `Query gsi1 gsi1pk=USERS` (descending)
//! - users of a role, newest first: `Query gsi2 gsi2pk=USERS#ROLE#<role>`
//!
//! Invariant: an e-mail address belongs to at most one user. The user and
//! its guard item are written in one transaction, each with
//! `attribute_not_exists(pk)`, so two concurrent registrations of one address
//! cannot both commit.

use super::{entity_item, keys, Entity, Keys, Store, StoreError, StoreFuture, Transaction};
use crate::domain::{DisplayName, Email, EntityId, Role, User};
use crate::events::{Envelope, OutboxItem};
use crate::store::sessions::SessionStore;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A user as stored: the account plus its password hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: EntityId,
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
    pub is_active: bool,
    pub password_hash: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
    /// Sessions started in another generation are over (see
    /// `store::sessions`); accounts from before generations have 0 (format
    /// 1 items may lack it: `store::migrations`).
    #[serde(default)]
    pub session_generation: u64,
}

opsflow_platform::versioned!(UserRecord);

/// What a change to a user does to its sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionsAfter<'a> {
    /// They go on.
    Kept,
    /// Every one of them ends (deactivation, a role change).
    Ended,
    /// Every one but this one ends (a new password, kept by its holder's
    /// current session).
    EndedExcept(&'a str),
}

impl UserRecord {
    pub fn new(user: &User, password_hash: String) -> Self {
        Self {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            is_active: user.is_active,
            password_hash,
            created_at: user.created_at,
            updated_at: user.updated_at,
            version: user.version,
            session_generation: 0,
        }
    }

    pub fn user(&self) -> User {
        User {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
            is_active: self.is_active,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

/// `gsi1` lists every user and `gsi2` the users of one role, both in id
/// (= creation) order: [`keys::user_gsi1sk`] is its `pk`.
impl Entity for UserRecord {
    const TYPE: &'static str = "user";
    /// 2: `session_generation` is always there (format 1 items from before
    /// generations may lack it; migration
    /// `identity-0001-user-session-generation` fills it).
    const SCHEMA: u32 = 2;

    fn keys(&self) -> Keys {
        let by_role = keys::users_by_role_gsi2pk(self.role);
        let pk = keys::user_pk(&self.id);
        Keys::by_pk(pk, keys::USER_SK, keys::USERS_GSI1PK, by_role)
    }
}

#[derive(Serialize)]
struct EmailGuard<'a> {
    pk: String,
    sk: &'static str,
    #[serde(rename = "type")]
    item_type: &'static str,
    user_id: &'a EntityId,
}

#[derive(Deserialize)]
struct EmailGuardRead {
    user_id: EntityId,
}

/// Why a new user could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("the e-mail address is already registered")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait UserStore {
    /// Stores a new user, its e-mail guard and its event, atomically.
    fn create_user(
        &self,
        record: &UserRecord,
        event: &Envelope,
    ) -> impl StoreFuture<(), CreateUserError>;

    fn user_by_id(&self, id: &EntityId) -> impl StoreFuture<Option<UserRecord>>;

    fn user_by_email(&self, email: &Email) -> impl StoreFuture<Option<UserRecord>>;

    /// Replaces a user if it is still at `expected_version`, together with
    /// its event. The record's version and `updated_at` are advanced here.
    /// A stale version is `ConditionFailed`.
    fn update_user(
        &self,
        record: &mut UserRecord,
        now: OffsetDateTime,
        event: Option<&Envelope>,
    ) -> impl StoreFuture<()>;

    /// Replaces a user if it is still at `expected_version`, together with
    /// its `events`, and ends its sessions as `sessions` says, all in one
    /// transaction: ending sessions bumps the user's `session_generation`,
    /// so no session of the old generation is live once the change is.
    /// A stale version is `ConditionFailed`.
    fn change_user(
        &self,
        record: &mut UserRecord,
        now: OffsetDateTime,
        events: &[Envelope],
        sessions: SessionsAfter<'_>,
    ) -> impl StoreFuture<()>;

    /// A page of users, newest first, optionally of one role.
    fn list_users(
        &self,
        role: Option<Role>,
        limit: i32,
        start: Option<super::Item>,
    ) -> impl StoreFuture<(Vec<UserRecord>, Option<super::Item>)>;
}

impl UserStore for Store {
    #[tracing::instrument(skip_all, fields(user_id = %record.id))]
    async fn create_user(
        &self,
        record: &UserRecord,
        event: &Envelope,
    ) -> Result<(), CreateUserError> {
        let absent = Some(("attribute_not_exists(pk)", Vec::new()));
        let guard = EmailGuard {
            pk: keys::email_pk(&record.email),
            sk: keys::EMAIL_SK,
            item_type: "email_guard",
            user_id: &record.id,
        };
        let mut tx = Transaction::new();
        tx.add(self.put(entity_item(record)?, absent.clone())?);
        let email_free = tx.add(self.put(super::to_item(&guard)?, absent)?);
        tx.add(self.put(OutboxItem::new(event)?.to_item()?, None)?);
        match self.commit(tx).await {
            Ok(()) => Ok(()),
            Err(error) if error.failed(email_free) => Err(CreateUserError::EmailTaken),
            Err(error) => Err(error.into()),
        }
    }

    async fn user_by_id(&self, id: &EntityId) -> Result<Option<UserRecord>, StoreError> {
        self.get(keys::user_pk(id), keys::USER_SK).await
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<UserRecord>, StoreError> {
        let guard: Option<EmailGuardRead> = self.get(keys::email_pk(email), keys::EMAIL_SK).await?;
        match guard {
            Some(guard) => self.user_by_id(&guard.user_id).await,
            None => Ok(None),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %record.id))]
    async fn update_user(
        &self,
        record: &mut UserRecord,
        now: OffsetDateTime,
        event: Option<&Envelope>,
    ) -> Result<(), StoreError> {
        self.replace_next_version(record, now, event).await
    }

    #[tracing::instrument(skip_all, fields(user_id = %record.id))]
    async fn change_user(
        &self,
        record: &mut UserRecord,
        now: OffsetDateTime,
        events: &[Envelope],
        sessions: SessionsAfter<'_>,
    ) -> Result<(), StoreError> {
        let mut changed = record.clone();
        changed.version += 1;
        changed.updated_at = now;
        if sessions != SessionsAfter::Kept {
            changed.session_generation += 1;
        }
        let condition = Some((
            "attribute_exists(pk) AND version = :expected",
            vec![(":expected", super::n(record.version))],
        ));
        let mut tx = Transaction::new();
        let at_version = tx.add(self.put(entity_item(&changed)?, condition)?);
        if let SessionsAfter::EndedExcept(kept) = sessions {
            tx.add(self.restamp(kept, changed.session_generation)?);
        }
        for event in events {
            tx.add(self.put(OutboxItem::new(event)?.to_item()?, None)?);
        }
        match self.commit(tx).await {
            Ok(()) => {
                *record = changed;
                Ok(())
            }
            Err(error) if error.failed(at_version) => Err(StoreError::ConditionFailed),
            Err(error) => Err(error),
        }
    }

    async fn list_users(
        &self,
        role: Option<Role>,
        limit: i32,
        start: Option<super::Item>,
    ) -> Result<(Vec<UserRecord>, Option<super::Item>), StoreError> {
        let by = role.map(keys::users_by_role_gsi2pk);
        self.page_listed(keys::USERS_GSI1PK, by, limit, start).await
    }
}

/// The key string of a role filter, for cursor scopes.
pub fn list_scope(role: Option<Role>) -> String {
    match role {
        None => "users".into(),
        Some(role) => format!("users:role={role}"),
    }
}
