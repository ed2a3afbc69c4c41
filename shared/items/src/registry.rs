//! What items offer the consumers that serve every module: items as an
//! entity kind, shown as their API view. Every signed-in caller reads
//! items, so every caller may see the audit records of an item that
//! exists (those of a deleted one are an admin's).

use crate::store::ItemStore;
use crate::view::item_data;
use futures::future::BoxFuture;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::{EntityKind, Registry};
use opsflow_platform::store::Store;
use opsflow_platform::ApiResult;
use serde_json::Value;

/// Adds the items module's entity kinds to `registry`.
pub fn register(registry: &mut Registry) {
    registry.entity(EntityKind {
        kind: crate::events::ITEM,
        view: |store, id| Box::pin(view(store, id)),
        visible_to: readable,
    });
}

async fn view(store: &Store, id: &EntityId) -> ApiResult<Option<Value>> {
    Ok(store.item_by_id(id).await?.as_ref().map(item_data))
}

fn readable<'a>(
    store: &'a Store,
    principal: &'a Principal,
    id: &'a str,
) -> BoxFuture<'a, ApiResult<bool>> {
    Box::pin(async move {
        let Ok(id) = EntityId::parse(id) else {
            return Ok(false);
        };
        Ok(principal.can(crate::permissions::ITEMS_READ) && store.item_by_id(&id).await?.is_some())
    })
}
