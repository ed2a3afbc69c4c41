//! What people do with insights: raise one by hand (admins), acknowledge
//! or resolve one (admins, and approvers of the request it is about),
//! delete one (admins), and who may see which. An insight about an
//! approval is seen by whoever may see the approval; any other only by
//! those who read everything (admins, auditors).

use super::InsightsError;
use crate::domain::insight::InsightStatus;
use crate::domain::{Factor, RiskLevel};
use crate::events::{self, Actor};
use crate::permissions;
use crate::store::{InsightRecord, InsightStore, Store};
use aws_sdk_dynamodb::types::TransactWriteItem;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::store::{entity_item, StoreError};
use time::OffsetDateTime;

/// An insight raised by hand, parsed.
#[derive(Debug, Clone)]
pub struct NewInsight {
    pub title: String,
    pub description: String,
    pub recommendation: String,
    pub risk_score: f64,
    pub workflow_id: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
}

/// Whether `principal` may see `record`.
pub async fn may_see(
    store: &Store,
    principal: &Principal,
    record: &InsightRecord,
) -> Result<bool, StoreError> {
    if principal.can(permissions::INSIGHTS_READ_ALL) {
        return Ok(true);
    }
    match (record.entity.as_deref(), record.entity_id.as_deref()) {
        (Some("approval"), Some(id)) => {
            opsflow_approvals::service::approvals::visible_to(store, principal, id).await
        }
        _ => Ok(false),
    }
}

/// Whether `principal` may acknowledge or resolve `record` (which they
/// may see): admins any; an approver only one about a request they may
/// decide — named by its steps, and not its requester (a person never
/// settles the flag on their own request).
pub async fn may_review(
    store: &Store,
    principal: &Principal,
    record: &InsightRecord,
) -> Result<bool, StoreError> {
    if principal.role == opsflow_platform::domain::Role::Admin {
        return Ok(true);
    }
    let (Some("approval"), Some(id)) = (record.entity.as_deref(), record.entity_id.as_deref())
    else {
        return Ok(false);
    };
    let Ok(id) = EntityId::parse(id) else {
        return Ok(false);
    };
    use opsflow_approvals::store::ApprovalStore;
    Ok(match store.approval_by_id(&id).await? {
        Some(approval) => {
            !principal.is(&approval.requester_id)
                && approval.names_approver(&principal.user_id, principal.role)
        }
        None => false,
    })
}

/// Insight `id` if `principal` may see it (else `NotFound`, as for one
/// that does not exist).
pub async fn insight_for(
    store: &Store,
    principal: &Principal,
    id: &EntityId,
) -> Result<InsightRecord, InsightsError> {
    match store.insight_by_id(id).await? {
        Some(record) if may_see(store, principal, &record).await? => Ok(record),
        _ => Err(InsightsError::NotFound("insight")),
    }
}

/// Raises an insight by hand; its one factor is the admin's assessment.
pub async fn raise(
    store: &Store,
    actor: Actor,
    new: NewInsight,
    correlation_id: &str,
    now: OffsetDateTime,
) -> Result<InsightRecord, InsightsError> {
    let level = RiskLevel::of(new.risk_score);
    let record = InsightRecord {
        id: EntityId::new(),
        source: "manual".into(),
        title: new.title,
        description: new.description,
        recommendation: new.recommendation,
        risk_level: level,
        risk_score: new.risk_score,
        factors: vec![Factor {
            name: "assessment".into(),
            value: serde_json::json!(new.risk_score),
            weight: 1.0,
            contribution: new.risk_score,
            explanation: format!("Assessed by hand by {}.", actor.id),
        }],
        workflow_id: new.workflow_id,
        entity: new.entity,
        entity_id: new.entity_id,
        status: InsightStatus::Open,
        note: String::new(),
        created_at: now,
        updated_at: now,
        resolved_at: None,
        version: 1,
    };
    let event = events::insight_created(&record, actor, correlation_id, None);
    store
        .insert_with_event(entity_item(&record)?, &event)
        .await?;
    Ok(record)
}

/// Moves `record` (as read, at its version) to `to` with `note`.
pub async fn review(
    store: &Store,
    actor: Actor,
    record: &InsightRecord,
    to: InsightStatus,
    note: String,
    correlation_id: &str,
    now: OffsetDateTime,
) -> Result<InsightRecord, InsightsError> {
    let status = record
        .status
        .transition(to)
        .map_err(InsightsError::Conflict)?;
    let mut after = record.clone();
    after.status = status;
    after.note = note;
    if status.is_resolved() {
        after.resolved_at = Some(now);
    }
    let written = replace_insight(store, record, after, now, actor, correlation_id, Vec::new());
    written.await?.ok_or_else(|| {
        InsightsError::Conflict("the insight changed meanwhile; read it again".into())
    })
}

/// Replaces `before` (as read, at its version) with `after`, advanced to
/// its next version at `now`, together with its event and the writes
/// `with`; the insight as written, or `None` if it changed meanwhile.
pub(crate) async fn replace_insight(
    store: &Store,
    before: &InsightRecord,
    mut after: InsightRecord,
    now: OffsetDateTime,
    actor: Actor,
    correlation_id: &str,
    with: Vec<TransactWriteItem>,
) -> Result<Option<InsightRecord>, InsightsError> {
    after.version = before.version + 1;
    after.updated_at = now;
    let event = events::insight_changed(before, &after, actor, correlation_id, None);
    let item = entity_item(&after)?;
    match store
        .replace_versioned(item, before.version, with, Some(&event))
        .await
    {
        Ok(()) => Ok(Some(after)),
        Err(StoreError::ConditionFailed) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Deletes `record` (as read, at its version), with its event.
pub async fn delete(
    store: &Store,
    actor: Actor,
    record: &InsightRecord,
    correlation_id: &str,
) -> Result<(), InsightsError> {
    let event = events::insight_deleted(record, actor, correlation_id);
    // A detector's finding goes with its insight (only if it names this
    // one): while its condition holds, the detector raises a new insight.
    let mut guards = Vec::new();
    if let Some(subject) = &record.entity_id {
        let finding = crate::store::Finding {
            detector: record.source.clone(),
            subject: subject.clone(),
            insight_id: record.id,
        };
        let keys = opsflow_platform::store::Entity::keys(&finding);
        let mine =
            opsflow_platform::store::Expr::new("attribute_not_exists(pk) OR insight_id = :id")
                .value(":id", opsflow_platform::store::s(record.id.to_string()));
        guards.push(store.delete(keys.pk, &keys.sk, Some(&mine))?);
    }
    match store
        .delete_versioned(
            crate::store::insights::insight_pk(&record.id),
            crate::store::insights::INSIGHT_SK,
            record.version,
            guards,
            &event,
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(InsightsError::Conflict(
            "the insight changed meanwhile; read it again".into(),
        )),
        Err(error) => Err(error.into()),
    }
}
