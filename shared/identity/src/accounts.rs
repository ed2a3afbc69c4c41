//! Creating accounts: the one place a new user, its e-mail guard and its
//! `user.registered` event are made, whether by self-service registration,
//! the operator's `opsflow-admin create-admin`, or local demo data.

use crate::api::UserView;
use crate::auth::password;
use crate::clock;
use crate::domain::{DisplayName, Email, EntityId, NewPassword, Role, User};
use crate::events::{Actor, Envelope};
use crate::store::users::UserStore;
use crate::store::users::{CreateUserError, UserRecord};
use crate::store::{Store, StoreError};

/// A validated new account.
#[derive(Debug)]
pub struct NewAccount {
    pub email: Email,
    pub name: DisplayName,
    pub password: NewPassword,
    pub role: Role,
}

/// Who creates the account, which becomes the event's actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registrar {
    /// The person registering themselves (the event's actor is the new user).
    SelfService,
    /// An operator command or the platform itself.
    System,
}

/// Hashes the password, then stores the account, its guard and its event
/// in one transaction.
pub async fn create_account(
    store: &Store,
    account: NewAccount,
    registrar: Registrar,
    correlation_id: &str,
) -> Result<User, CreateUserError> {
    let hash = password::hash(account.password.expose()).map_err(StoreError::Other)?;
    let profile = Profile {
        email: account.email,
        name: account.name,
        role: account.role,
    };
    let record = create_hashed(store, profile, hash, registrar, correlation_id).await?;
    Ok(record.user())
}

/// Who a new account is, without its password.
#[derive(Debug)]
pub struct Profile {
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
}

/// Stores an account whose password is already hashed (a PHC string from
/// [`password::hash`]), with its guard and its event, in one transaction;
/// the stored record. Hashing is what costs (tens of milliseconds, on
/// purpose): a harness that makes many accounts with one password hashes
/// it once.
pub async fn create_hashed(
    store: &Store,
    profile: Profile,
    password_hash: String,
    registrar: Registrar,
    correlation_id: &str,
) -> Result<UserRecord, CreateUserError> {
    let now = clock::now();
    let user = User {
        id: EntityId::new(),
        email: profile.email,
        name: profile.name,
        role: profile.role,
        is_active: true,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let actor = match registrar {
        Registrar::SelfService => Actor {
            id: user.id.to_string(),
            role: user.role.to_string(),
        },
        Registrar::System => Actor::system(),
    };
    let event = Envelope::new(
        "user.registered",
        "user",
        user.id,
        actor,
        correlation_id,
        UserView::from(&user).to_value(),
    );
    let record = UserRecord::new(&user, password_hash);
    store.create_user(&record, &event).await?;
    Ok(record)
}
