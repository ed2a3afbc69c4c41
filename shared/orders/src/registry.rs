//! What orders offer the consumers that serve every module: orders as an
//! entity kind, shown as their API view (an order's audit records are its
//! owner's and admins' to read), and the rule actions `hold_order` and
//! `release_order` ([`crate::service::holds`]).

use crate::service::holds;
use crate::store::OrderStore;
use crate::view::order_data;
use futures::future::BoxFuture;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::{ActionFailure, ActionTarget, EntityAction, EntityKind, Registry};
use opsflow_platform::store::Store;
use opsflow_platform::ApiResult;
use serde_json::Value;

/// Adds the orders module's entity kind and rule actions to `registry`.
pub fn register(registry: &mut Registry) {
    registry
        .entity(EntityKind {
            kind: crate::events::ORDER,
            view: |store, id| Box::pin(view(store, id)),
            visible_to: owned,
        })
        .action_target(OrderActions);
}

/// The rule actions on orders: `hold_order` and `release_order`.
#[derive(Debug, Clone, Copy)]
pub struct OrderActions;

impl ActionTarget for OrderActions {
    fn kind(&self) -> &'static str {
        crate::events::ORDER
    }

    fn actions(&self) -> &'static [&'static str] {
        &["hold_order", "release_order"]
    }

    fn act<'a>(
        &'a self,
        store: &'a Store,
        action: EntityAction<'a>,
    ) -> BoxFuture<'a, Result<String, ActionFailure>> {
        Box::pin(async move {
            match action.name {
                "hold_order" => holds::hold(store, &action).await,
                _ => holds::release_by_rule(store, &action).await,
            }
        })
    }
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
