//! Serves identity's functions (`auth`, `users`) to the kernel's test
//! harness, and lets it set roles directly in the store.

#![allow(clippy::unwrap_used)]

use opsflow_identity::api::auth::Auth;
use opsflow_identity::store::UserStore;
use opsflow_platform::testkit::TestEnv;

pub async fn serve(env: &mut TestEnv) {
    let auth: &'static Auth = env.context().await;
    let users = env.users;
    env.serve(
        "auth",
        Box::new(move |req| Box::pin(opsflow_identity::api::auth::handle(auth, req))),
    );
    env.serve(
        "users",
        Box::new(move |req| Box::pin(opsflow_identity::api::users::handle(users, req))),
    );
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
