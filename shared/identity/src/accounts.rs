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

/// Stores the account, its guard and its event in one transaction.
pub async fn create_account(
    store: &Store,
    account: NewAccount,
    registrar: Registrar,
    correlation_id: &str,
) -> Result<User, CreateUserError> {
    let now = clock::now();
    let user = User {
        id: EntityId::new(),
        email: account.email,
        name: account.name,
        role: account.role,
        is_active: true,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let hash = password::hash(account.password.expose()).map_err(StoreError::Other)?;
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
    store
        .create_user(&UserRecord::new(&user, hash), &event)
        .await?;
    Ok(user)
}
