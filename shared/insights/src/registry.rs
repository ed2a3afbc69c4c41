//! What insights offer the consumers that serve every module: insights as
//! an entity kind (so the audit log and rules can show them, to whoever
//! may see the insight) and the
//! event router's insights lane, which takes the approval events the
//! analyzer scores, and the scheduler's detectors (slow workflows, queues,
//! failed sign-ins, failing rules).

use crate::store::InsightStore;
use crate::view::insight_value;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::{EntityKind, QueueLane, Registry, Sweep};
use opsflow_platform::store::Store;
use opsflow_platform::ApiResult;
use serde_json::Value;

/// The queue of the approval events the analyzer scores.
pub const INSIGHTS_QUEUE: &str = "INSIGHTS_QUEUE_URL";

/// The router's insights lane: approval events that move a scoring, now.
pub const LANE: QueueLane = QueueLane {
    queue_variable: INSIGHTS_QUEUE,
    takes: |envelope| crate::service::analyze::reads(envelope).then_some(0),
};

/// Adds the insights module's entity kind and queue lane to `registry`.
pub fn register(registry: &mut Registry) {
    registry
        .entity(EntityKind {
            kind: crate::events::INSIGHT,
            view: |store, id| Box::pin(view(store, id)),
            visible_to: |store, principal, id| Box::pin(visible_to(store, principal, id)),
        })
        .lane(LANE)
        .sweep(SLOW_WORKFLOWS)
        .sweep(QUEUES)
        .sweep(FAILED_LOGINS)
        .sweep(FAILING_RULES);
}

/// The scheduler's detector of slow workflows
/// ([`crate::service::detectors`]).
pub const SLOW_WORKFLOWS: Sweep = Sweep {
    name: "slow_workflows",
    run: |tick| {
        Box::pin(crate::service::detectors::sweep_slow_workflows(
            tick.store,
            tick.now,
            tick.correlation_id,
        ))
    },
};

/// The scheduler's detectors of stalled queues and dead letters
/// ([`crate::service::detectors::queues`]).
pub const QUEUES: Sweep = Sweep {
    name: "queues",
    run: |tick| {
        Box::pin(crate::service::detectors::queues::sweep_queues(
            tick.store,
            tick.queues,
            tick.now,
            tick.correlation_id,
        ))
    },
};

/// The scheduler's detector of bursts of failed sign-ins
/// ([`crate::service::detectors::logins`]).
pub const FAILED_LOGINS: Sweep = Sweep {
    name: "failed_logins",
    run: |tick| {
        Box::pin(crate::service::detectors::logins::sweep_failed_logins(
            tick.store,
            tick.now,
            tick.correlation_id,
        ))
    },
};

/// The scheduler's detector of rules that fail again and again
/// ([`crate::service::detectors::rules`]).
pub const FAILING_RULES: Sweep = Sweep {
    name: "failing_rules",
    run: |tick| {
        Box::pin(crate::service::detectors::rules::sweep_failing_rules(
            tick.store,
            tick.now,
            tick.correlation_id,
        ))
    },
};

/// Whether a non-admin may see insight `id` (and so its audit records):
/// as for the insight itself.
async fn visible_to(store: &Store, principal: &Principal, id: &str) -> ApiResult<bool> {
    let Ok(id) = EntityId::parse(id) else {
        return Ok(false);
    };
    Ok(match store.insight_by_id(&id).await? {
        Some(record) => crate::service::manage::may_see(store, principal, &record).await?,
        None => false,
    })
}

async fn view(store: &Store, id: &EntityId) -> ApiResult<Option<Value>> {
    Ok(store.insight_by_id(id).await?.as_ref().map(insight_value))
}
