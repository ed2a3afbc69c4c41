//! What webhooks offer the consumers that serve every module: subscriptions
//! as an entity kind, shown as their API view (never a secret). They are
//! an admin's business, so no other caller sees one or its audit records.

use crate::service::subscriptions::subscription;
use crate::view::subscription_data;
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::{EntityKind, Registry};
use opsflow_platform::store::Store;
use opsflow_platform::ApiResult;
use serde_json::Value;

/// Adds the webhooks module's entity kinds to `registry`.
pub fn register(registry: &mut Registry) {
    registry.entity(EntityKind {
        kind: crate::events::WEBHOOK,
        view: |store, id| Box::pin(view(store, id)),
        visible_to: EntityKind::hidden,
    });
}

async fn view(store: &Store, id: &EntityId) -> ApiResult<Option<Value>> {
    match subscription(store, id).await {
        Ok(record) => Ok(Some(subscription_data(
            &record,
            opsflow_platform::clock::now(),
        ))),
        Err(crate::service::WebhookError::NotFound(_)) => Ok(None),
        Err(other) => Err(other.into()),
    }
}
