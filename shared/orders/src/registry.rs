//! What orders offer the consumers that serve every module: orders as an
//! entity kind, shown as their API view; an order's audit records are its
//! owner's and admins' to read.

use crate::store::OrderStore;
use crate::view::order_data;
use futures::future::BoxFuture;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::{EntityKind, Registry};
use opsflow_platform::store::Store;
use opsflow_platform::ApiResult;
use serde_json::Value;

/// Adds the orders module's entity kind to `registry`.
pub fn register(registry: &mut Registry) {
    registry.entity(EntityKind {
        kind: crate::events::ORDER,
        view: |store, id| Box::pin(view(store, id)),
        visible_to: owned,
    });
}

async fn view(store: &Store, id: &EntityId) -> ApiResult<Option<Value>> {
    Ok(store.order_by_id(id).await?.as_ref().map(order_data))
}

fn owned<'a>(
    store: &'a Store,
    principal: &'a Principal,
    id: &'a str,
) -> BoxFuture<'a, ApiResult<bool>> {
    Box::pin(async move {
        let Ok(id) = EntityId::parse(id) else {
            return Ok(false);
        };
        Ok(store
            .order_by_id(&id)
            .await?
            .is_some_and(|order| order.user_id == principal.user_id))
    })
}
