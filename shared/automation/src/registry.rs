//! What automation offers the consumers that serve every module: rules as
//! an entity kind. A rule is shown as its API view; rules are an admin's
//! business, so no other caller sees one (or its audit records).

use crate::api::rules;
use crate::store::RuleStore;
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::{EntityKind, Registry};
use opsflow_platform::store::Store;
use opsflow_platform::ApiResult;
use serde_json::Value;

/// Adds automation's entity kinds to `registry`.
pub fn register(registry: &mut Registry) {
    registry.entity(EntityKind {
        kind: "rule",
        view: |store, id| Box::pin(rule_view(store, id)),
        visible_to: EntityKind::hidden,
    });
}

async fn rule_view(store: &Store, id: &EntityId) -> ApiResult<Option<Value>> {
    match store.rule_by_id(id).await? {
        Some(record) => Ok(Some(rules::view(&record)?)),
        None => Ok(None),
    }
}
