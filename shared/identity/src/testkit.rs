//! Serves identity's functions (`auth`, `users`) to the kernel's test
//! harness, lets it set roles directly in the store, and makes its
//! accounts through identity's services: the test password is hashed once
//! per process (argon2id costs tens of milliseconds a hash, on purpose),
//! and a session is started without a login to verify it.

#![allow(clippy::unwrap_used)]

use futures::future::BoxFuture;
use opsflow_identity::accounts::{create_hashed, Profile, Registrar};
use opsflow_identity::api::auth::Auth;
use opsflow_identity::auth::password;
use opsflow_identity::domain::{DisplayName, Email, EntityId, Role};
use opsflow_identity::service::sessions::{self, Origin};
use opsflow_identity::store::users::UserRecord;
use opsflow_identity::store::UserStore;
use opsflow_platform::testkit::{Account, Accounts, Serve, TestEnv, Tokens, PASSWORD};
use std::sync::OnceLock;

/// [`serve`] as a test binary's `Setup` lists it.
pub const SERVE: Serve = |env| Box::pin(serve(env));

pub async fn serve(env: &mut TestEnv) {
    let auth: &'static Auth = env.context().await;
    let users = env.users;
    env.serve_on("auth", auth, opsflow_identity::api::auth::handle)
        .serve_on("users", users, opsflow_identity::api::users::handle);
    env.with_accounts(Box::new(ServiceAccounts { auth }));
    env.with_role_setter(|app, id, role| {
        Box::pin(async move {
            let mut record = app.store.user_by_id(&id).await.unwrap().unwrap();
            record.role = role;
            app.store
                .update_user(&mut record, opsflow_platform::clock::now(), None)
                .await
                .unwrap();
        })
    });
}

/// Accounts made and signed in through identity's services.
struct ServiceAccounts {
    auth: &'static Auth,
}

impl Accounts for ServiceAccounts {
    fn make<'a>(&'a self, name: &'a str, role: Role) -> BoxFuture<'a, Account> {
        Box::pin(account(self.auth, name, role))
    }

    fn sign_in<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Tokens> {
        Box::pin(async move {
            let store = &self.auth.app.store;
            let id = EntityId::parse(id).unwrap();
            let record = store.user_by_id(&id).await.unwrap().unwrap();
            start_session(self.auth, &record).await
        })
    }
}

/// An account with `role` and the test password, signed in.
async fn account(auth: &Auth, name: &str, role: Role) -> Account {
    static HASH: OnceLock<String> = OnceLock::new();
    let hash = HASH.get_or_init(|| password::hash(PASSWORD).unwrap());
    let email = format!("{name}-{}@example.com", EntityId::new());
    let profile = Profile {
        email: Email::parse(&email).unwrap(),
        name: DisplayName::parse(name).unwrap(),
        role,
    };
    let store = &auth.app.store;
    let record = create_hashed(store, profile, hash.clone(), Registrar::SelfService, "test")
        .await
        .unwrap();
    Account {
        id: record.id.to_string(),
        email,
        role,
        tokens: start_session(auth, &record).await,
    }
}

/// A session of `record`, started without a login to verify it.
async fn start_session(auth: &Auth, record: &UserRecord) -> Tokens {
    let origin = Origin {
        correlation_id: "test",
        source_ip: None,
    };
    let now = opsflow_platform::clock::now();
    let tokens = sessions::start(&auth.app.store, &auth.signer, record, &origin, now)
        .await
        .unwrap();
    Tokens {
        access: tokens.access_token,
        refresh: tokens.refresh_token,
    }
}
