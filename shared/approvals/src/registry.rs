//! What this module offers the consumers that serve every module: the
//! `approval` and `workflow` kinds of entity (how events show one, who may
//! see it), the rule actions on approvals, and the scheduler's sweep of
//! steps due to escalate. Consumers find them through
//! the kernel's registry after one [`register`] call in their `main.rs`.

use crate::events;
use crate::service::{approvals, rule_actions, workflows};
use crate::store::approvals::ApprovalStore;
use crate::store::workflows::WorkflowStore;
use crate::store::Store;
use crate::view::{approval_value, workflow_value};
use futures::future::BoxFuture;
use opsflow_platform::registry::{
    ActionFailure, ActionTarget, EntityAction, EntityKind, Registry, Sweep,
};

/// Adds approvals and workflows as kinds of entity, the rule actions on
/// approvals, and the sweep that escalates steps at their deadline.
pub fn register(registry: &mut Registry) {
    registry
        .entity(Approvals)
        .entity(Workflows)
        .action_target(ApprovalActions)
        .sweep(ESCALATIONS);
}

/// The scheduler's sweep of steps due to escalate
/// ([`crate::service::escalations`]).
pub const ESCALATIONS: Sweep = Sweep {
    name: "escalations",
    run: |tick| {
        Box::pin(crate::service::escalations::sweep(
            tick.store,
            tick.now,
            tick.correlation_id,
        ))
    },
};

/// The `approval` kind: seen by admins, its requester, its approvers and
/// whoever decided it.
// Values now, keeping the names `register` callers and `lib.rs` re-export.
#[allow(non_upper_case_globals)]
pub const Approvals: EntityKind = EntityKind {
    kind: events::APPROVAL,
    view: |store, id| {
        Box::pin(async move { Ok(store.approval_by_id(id).await?.as_ref().map(approval_value)) })
    },
    visible_to: |store, principal, id| {
        Box::pin(async move { Ok(approvals::visible_to(store, principal, id).await?) })
    },
};

/// The `workflow` kind: seen (by non-admins) when it exists and is ACTIVE.
#[allow(non_upper_case_globals)]
pub const Workflows: EntityKind = EntityKind {
    kind: events::WORKFLOW,
    view: |store, id| {
        Box::pin(async move { Ok(store.workflow_by_id(id).await?.as_ref().map(workflow_value)) })
    },
    visible_to: |store, _, id| {
        Box::pin(async move { Ok(workflows::visible_to_all(store, id).await?) })
    },
};

/// The rule actions on approvals (`approve`, `reject`, `assign`,
/// `set_field`; see [`rule_actions`]).
#[derive(Debug, Clone, Copy)]
pub struct ApprovalActions;

impl ActionTarget for ApprovalActions {
    fn kind(&self) -> &'static str {
        events::APPROVAL
    }

    fn actions(&self) -> &'static [&'static str] {
        rule_actions::ACTIONS
    }

    fn act<'a>(
        &'a self,
        store: &'a Store,
        action: EntityAction<'a>,
    ) -> BoxFuture<'a, Result<String, ActionFailure>> {
        Box::pin(rule_actions::act(store, action))
    }
}
