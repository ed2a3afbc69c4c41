//! What automation offers the consumers that serve every module: rules as
//! an entity kind. A rule is shown as its API view; rules are an admin's
//! business, so no other caller sees one (or its audit records).

use crate::api::rules;
use crate::store::RuleStore;
use futures::future::BoxFuture;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::{EntitySource, Registry};
use opsflow_platform::store::Store;
use opsflow_platform::ApiResult;
use serde_json::Value;

/// Adds automation's entity kinds to `registry`.
pub fn register(registry: &mut Registry) {
    registry.entity(Rules);
}

struct Rules;

impl EntitySource for Rules {
    fn kind(&self) -> &'static str {
        "rule"
    }

    fn view<'a>(
        &'a self,
        store: &'a Store,
        id: &'a EntityId,
    ) -> BoxFuture<'a, ApiResult<Option<Value>>> {
        Box::pin(async move {
            match store.rule_by_id(id).await? {
                Some(record) => Ok(Some(rules::view(&record)?)),
                None => Ok(None),
            }
        })
    }

    fn visible_to<'a>(
        &'a self,
        _: &'a Store,
        _: &'a Principal,
        _: &'a str,
    ) -> BoxFuture<'a, ApiResult<bool>> {
        Box::pin(async { Ok(false) })
    }
}
