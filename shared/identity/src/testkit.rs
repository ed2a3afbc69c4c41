//! Serves identity's functions (`auth`, `users`) to the kernel's test
//! harness, and lets it set roles directly in the store.

#![allow(clippy::unwrap_used)]

use opsflow_identity::api::auth::Auth;
use opsflow_identity::store::UserStore;
use opsflow_platform::testkit::{Serve, TestEnv};

/// [`serve`] as a test binary's `Setup` lists it.
pub const SERVE: Serve = |env| Box::pin(serve(env));

pub async fn serve(env: &mut TestEnv) {
    let auth: &'static Auth = env.context().await;
    let users = env.users;
    env.serve_on("auth", auth, opsflow_identity::api::auth::handle)
        .serve_on("users", users, opsflow_identity::api::users::handle);
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
