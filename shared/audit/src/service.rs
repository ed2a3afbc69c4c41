//! The audit module's use cases: who may read which records, and
//! recording what a client reports about its own actions. Reading is
//! decided here, per entity, by the module that owns the entity's kind
//! (its registered `EntitySource`); a client's report is never written to
//! the audit table directly: it is a `client.<action>` event committed to
//! the outbox, which `audit-writer` records like every other event (and
//! which no rule ever runs on).

use crate::auth::Principal;
use crate::domain::EntityId;
use crate::events::{Actor, Envelope};
use crate::permissions;
use crate::store::audit::{
    AuditFilter, AuditId, AuditQueryStore, AuditRecord, ClientAction, EntityKind,
};
use crate::store::{Store, StoreError};
use crate::{ApiError, App};
use serde_json::{Map, Value};

/// The kinds of entity clients name for themselves start with this; no
/// platform entity does.
pub const CLIENT_KIND_PREFIX: &str = "client_";

/// Why a read or a report was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// 403: the caller may not run this listing (the text says why).
    #[error("{0}")]
    NotAllowed(&'static str),
    /// 404: no entity the caller may see.
    #[error("no such entity")]
    NoSuchEntity,
    /// 404: no audit record the caller may see.
    #[error("no such audit record")]
    NoSuchRecord,
    /// The owning module could not tell (its own status).
    #[error("the entity's module could not tell who may see it")]
    Lookup(#[source] ApiError),
    /// The store failed (its own status: 409, 503 or 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AuditError> for ApiError {
    fn from(error: AuditError) -> Self {
        match error {
            AuditError::NotAllowed(why) => ApiError::Forbidden(why.into()),
            AuditError::NoSuchEntity | AuditError::NoSuchRecord => {
                ApiError::NotFound(error.to_string())
            }
            AuditError::Lookup(error) => error,
            AuditError::Store(error) => error.into(),
        }
    }
}

/// A client's report about one of its own actions, parsed.
pub struct ClientEntry {
    pub action: ClientAction,
    pub entity: EntityKind,
    pub entity_id: AuditId,
    pub details: Map<String, Value>,
}

/// Whether `principal` may see `entity_id` of kind `entity`, and so the
/// records about it: the module that owns the kind decides (its
/// registered `EntitySource`). A kind no module registered is not visible
/// to anyone but admins (who never ask).
pub async fn entity_visible(
    app: &App,
    principal: &Principal,
    entity: &EntityKind,
    entity_id: &AuditId,
) -> Result<bool, AuditError> {
    match app.registry.entity_source(entity.as_str()) {
        Some(source) => source
            .visible_to(&app.store, principal, entity_id.as_str())
            .await
            .map_err(AuditError::Lookup),
        None => Ok(false),
    }
}

/// Audit record `id` from `audit` (the audit table), if `principal` may
/// see it, as in a listing: admins any; others the records of their own
/// actions and those about an entity they may see. Any other record, or
/// none, is 404.
pub async fn record_for(
    app: &App,
    audit: &Store,
    principal: &Principal,
    id: &str,
) -> Result<AuditRecord, AuditError> {
    let record = audit
        .audit_record(id)
        .await?
        .ok_or(AuditError::NoSuchRecord)?;
    if principal.can(permissions::AUDIT_READ_ALL) || record.user_id == principal.user_id.to_string()
    {
        return Ok(record);
    }
    let (Ok(entity), Ok(entity_id)) = (
        EntityKind::parse(&record.entity),
        AuditId::parse(&record.entity_id),
    ) else {
        return Err(AuditError::NoSuchRecord);
    };
    if entity_visible(app, principal, &entity, &entity_id).await? {
        Ok(record)
    } else {
        Err(AuditError::NoSuchRecord)
    }
}

/// The filter a caller may run: admins any; others only their own actions
/// or the records about an entity they may see.
pub async fn visible_filter(
    app: &App,
    principal: &Principal,
    mut filter: AuditFilter,
) -> Result<AuditFilter, AuditError> {
    if principal.can(permissions::AUDIT_READ_ALL) {
        return Ok(filter);
    }
    let me = AuditId::from(principal.user_id);
    if filter
        .user_id
        .as_ref()
        .is_some_and(|user_id| *user_id != me)
    {
        return Err(AuditError::NotAllowed("you may only list your own actions"));
    }
    match &filter.entity {
        Some((entity, Some(entity_id))) => {
            if !entity_visible(app, principal, entity, entity_id).await? {
                return Err(AuditError::NoSuchEntity);
            }
        }
        Some((_, None)) => {
            return Err(AuditError::NotAllowed(
                "only admins can list the records of a whole kind of entity; add entity_id",
            ))
        }
        None if filter.user_id.is_none() && filter.action.is_some() => {
            return Err(AuditError::NotAllowed(
                "only admins can list an action across users; add user_id=<your id>",
            ))
        }
        None => filter.user_id = Some(me),
    }
    Ok(filter)
}

/// Whether `principal` may report about `entity_id` of kind `entity`:
/// admins about anything, others about the clients' own kinds and what
/// they may see.
async fn may_report_about(
    app: &App,
    principal: &Principal,
    entity: &EntityKind,
    entity_id: &AuditId,
) -> Result<bool, AuditError> {
    if principal.can(permissions::AUDIT_REPORT_ANY)
        || entity.as_str().starts_with(CLIENT_KIND_PREFIX)
    {
        return Ok(true);
    }
    entity_visible(app, principal, entity, entity_id).await
}

/// Commits `entry` as a `client.<action>` event by `principal`; its id is
/// the id of the audit record it becomes.
pub async fn report(
    app: &App,
    principal: &Principal,
    entry: ClientEntry,
    correlation_id: &str,
) -> Result<EntityId, AuditError> {
    if !may_report_about(app, principal, &entry.entity, &entry.entity_id).await? {
        return Err(AuditError::NoSuchEntity);
    }
    let mut event = Envelope::new(
        entry.action.event_type(),
        entry.entity.as_str(),
        entry.entity_id,
        Actor::from(principal),
        correlation_id,
        Value::Null,
    );
    event.changes = entry.details;
    app.store.publish_event(&event).await?;
    Ok(event.id)
}
