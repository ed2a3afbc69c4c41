//! What approvals offers the consumers that serve every module: workflows
//! and approvals as entity kinds. Each is shown as its events carry it; a
//! workflow is visible to everyone once active, an approval to those its
//! own rules let see it (requester, approvers, admins).

use crate::api::{approvals, workflows};
use crate::domain::WorkflowStatus;
use crate::store::{ApprovalStore, WorkflowStore};
use futures::future::BoxFuture;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::{EntitySource, Registry};
use opsflow_platform::store::Store;
use opsflow_platform::ApiResult;
use serde_json::Value;

/// Adds the workflow and approval kinds to `registry`.
pub fn register(registry: &mut Registry) {
    registry.entity(Workflows).entity(Approvals);
}

struct Workflows;

impl EntitySource for Workflows {
    fn kind(&self) -> &'static str {
        "workflow"
    }

    fn view<'a>(
        &'a self,
        store: &'a Store,
        id: &'a EntityId,
    ) -> BoxFuture<'a, ApiResult<Option<Value>>> {
        Box::pin(async move {
            Ok(store
                .workflow_by_id(id)
                .await?
                .map(|r| workflows::view_value(&r)))
        })
    }

    fn visible_to<'a>(
        &'a self,
        store: &'a Store,
        _: &'a Principal,
        id: &'a str,
    ) -> BoxFuture<'a, ApiResult<bool>> {
        Box::pin(async move {
            let Ok(id) = EntityId::parse(id) else {
                return Ok(false);
            };
            let workflow = store.workflow_by_id(&id).await?;
            Ok(workflow.is_some_and(|w| w.status == WorkflowStatus::Active))
        })
    }
}

struct Approvals;

impl EntitySource for Approvals {
    fn kind(&self) -> &'static str {
        "approval"
    }

    fn view<'a>(
        &'a self,
        store: &'a Store,
        id: &'a EntityId,
    ) -> BoxFuture<'a, ApiResult<Option<Value>>> {
        Box::pin(async move {
            Ok(store
                .approval_by_id(id)
                .await?
                .map(|r| approvals::view_value(&r)))
        })
    }

    fn visible_to<'a>(
        &'a self,
        store: &'a Store,
        principal: &'a Principal,
        id: &'a str,
    ) -> BoxFuture<'a, ApiResult<bool>> {
        Box::pin(approvals::visible_to(store, principal, id))
    }
}
