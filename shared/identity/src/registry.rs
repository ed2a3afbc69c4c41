//! What identity offers the consumers that serve every module: users as an
//! entity kind. A user is shown as their account view (never the password
//! hash), and only they may see their own record among non-admins.

use crate::api::UserView;
use crate::store::UserStore;
use futures::future::BoxFuture;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::{EntitySource, Registry};
use opsflow_platform::store::Store;
use opsflow_platform::ApiResult;
use serde_json::Value;

/// Adds identity's entity kinds to `registry`.
pub fn register(registry: &mut Registry) {
    registry.entity(Users);
}

struct Users;

impl EntitySource for Users {
    fn kind(&self) -> &'static str {
        "user"
    }

    fn view<'a>(
        &'a self,
        store: &'a Store,
        id: &'a EntityId,
    ) -> BoxFuture<'a, ApiResult<Option<Value>>> {
        Box::pin(async move {
            let record = store.user_by_id(id).await?;
            Ok(record.map(|r| UserView::from(&r.user()).to_value()))
        })
    }

    fn visible_to<'a>(
        &'a self,
        _: &'a Store,
        principal: &'a Principal,
        id: &'a str,
    ) -> BoxFuture<'a, ApiResult<bool>> {
        Box::pin(async move { Ok(id == principal.user_id.to_string()) })
    }
}
