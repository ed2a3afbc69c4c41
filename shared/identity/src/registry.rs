//! What identity offers the consumers that serve every module: users as an
//! entity kind. A user is shown as their account view (never the password
//! hash), and only they may see their own record among non-admins.

use crate::api::UserView;
use crate::store::UserStore;
use opsflow_platform::registry::{EntityKind, Registry};

/// Adds identity's entity kinds and data migrations to `registry`.
pub fn register(registry: &mut Registry) {
    for migration in crate::store::migrations::MIGRATIONS {
        registry.migration(migration);
    }
    registry.entity(EntityKind {
        kind: "user",
        view: |store, id| {
            Box::pin(async move {
                let record = store.user_by_id(id).await?;
                Ok(record.map(|r| UserView::from(&r.user()).to_value()))
            })
        },
        visible_to: |_, principal, id| {
            Box::pin(async move { Ok(id == principal.user_id.to_string()) })
        },
    });
}
