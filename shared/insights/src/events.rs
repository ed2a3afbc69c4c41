//! The events of insights: raised, changed (a new score), acknowledged,
//! resolved, deleted. Each carries the insight after the change as `data`
//! ([`crate::view`]) and what moved in `changes`.

pub use opsflow_platform::events::*;

use crate::store::InsightRecord;
use crate::view::insight_value;
use opsflow_platform::domain::EntityId;

/// The kind of entity these events are about.
pub const INSIGHT: &str = "insight";

pub const INSIGHT_CREATED: &str = "insight.created";
pub const INSIGHT_UPDATED: &str = "insight.updated";
pub const INSIGHT_ACKNOWLEDGED: &str = "insight.acknowledged";
pub const INSIGHT_RESOLVED: &str = "insight.resolved";
pub const INSIGHT_DELETED: &str = "insight.deleted";

/// A new insight, under `id` (derived by the system, so that a repeated
/// delivery finds it in the outbox).
pub fn insight_created(
    record: &InsightRecord,
    actor: Actor,
    correlation_id: &str,
    id: Option<EntityId>,
) -> Envelope {
    let mut event = Envelope::new(
        INSIGHT_CREATED,
        INSIGHT,
        record.id,
        actor,
        correlation_id,
        insight_value(record),
    );
    if let Some(id) = id {
        event.id = id;
    }
    event
}

/// A change of `before` into `after`: resolved, acknowledged, or a new
/// score.
pub fn insight_changed(
    before: &InsightRecord,
    after: &InsightRecord,
    actor: Actor,
    correlation_id: &str,
    id: Option<EntityId>,
) -> Envelope {
    let event_type = match (before.status, after.status) {
        (from, to) if from == to => INSIGHT_UPDATED,
        (_, crate::domain::insight::InsightStatus::Resolved) => INSIGHT_RESOLVED,
        _ => INSIGHT_ACKNOWLEDGED,
    };
    let (old, new) = (insight_value(before), insight_value(after));
    let mut event = Envelope::new(
        event_type,
        INSIGHT,
        after.id,
        actor,
        correlation_id,
        new.clone(),
    )
    .changes_between(&old, &new, &["status", "risk_score", "risk_level", "note"]);
    if let Some(id) = id {
        event.id = id;
    }
    event
}

/// A deleted insight, as it was.
pub fn insight_deleted(record: &InsightRecord, actor: Actor, correlation_id: &str) -> Envelope {
    Envelope::new(
        INSIGHT_DELETED,
        INSIGHT,
        record.id,
        actor,
        correlation_id,
        insight_value(record),
    )
}
