//! What settings offer the consumers that serve every module: settings as
//! an entity kind whose audit records every signed-in caller may see (the
//! settings themselves are everyone's to read). A setting is named by its
//! key, not an id, so no view is built from an id.

use futures::future::BoxFuture;
use opsflow_platform::auth::Principal;
use opsflow_platform::registry::{EntityKind, Registry};
use opsflow_platform::store::Store;
use opsflow_platform::ApiResult;

/// Adds the settings module's entity kinds to `registry`.
pub fn register(registry: &mut Registry) {
    registry.entity(EntityKind {
        kind: crate::events::SETTING,
        view: |_, _| Box::pin(async { Ok(None) }),
        visible_to: readable,
    });
}

fn readable<'a>(
    _: &'a Store,
    principal: &'a Principal,
    key: &'a str,
) -> BoxFuture<'a, ApiResult<bool>> {
    let visible = principal.can(crate::permissions::SETTINGS_READ)
        && crate::domain::definition(key).is_some();
    Box::pin(async move { Ok(visible) })
}
