//! What inventory offers the consumers that serve every module: SKUs as
//! an entity kind, shown as their API view. Every signed-in caller reads
//! the inventory, so every caller may see the audit records of a SKU.

use crate::domain::Sku;
use crate::store::SkuStore;
use crate::view::sku_data;
use futures::future::BoxFuture;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::{EntityKind, Registry};
use opsflow_platform::store::Store;
use opsflow_platform::ApiResult;
use serde_json::Value;

/// Adds the inventory module's entity kind to `registry`.
pub fn register(registry: &mut Registry) {
    registry.entity(EntityKind {
        kind: crate::events::SKU,
        view: |store, id| Box::pin(view(store, id)),
        visible_to: readable,
    });
}

/// SKUs are named by code, not by UUID: no entity id names one, so
/// `execute` cannot load a SKU by id (its events carry it whole).
async fn view(_: &Store, _: &EntityId) -> ApiResult<Option<Value>> {
    Ok(None)
}

fn readable<'a>(
    store: &'a Store,
    principal: &'a Principal,
    id: &'a str,
) -> BoxFuture<'a, ApiResult<bool>> {
    Box::pin(async move {
        let Ok(sku) = Sku::parse(id) else {
            return Ok(false);
        };
        Ok(principal.can(crate::permissions::INVENTORY_READ)
            && store.sku(&sku).await?.as_ref().map(sku_data).is_some())
    })
}
