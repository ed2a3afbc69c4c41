//! The items module's use cases: the only writer of items. Each checks who
//! may act ([`may_change`]), builds its event and commits it with the
//! change.

use crate::domain::{may_change, Description, ItemName, ItemStatus, Metadata};
use crate::events::{self, Actor, Envelope};
pub use crate::store::ItemFilter;
use crate::store::{ItemRecord, ItemStore, Store, StoreError};
use crate::view::item_data;
use opsflow_platform::auth::Principal;
use opsflow_platform::clock;
use opsflow_platform::domain::EntityId;
use opsflow_platform::error::ApiError;

/// Why an items use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ItemsError {
    /// 404: no such item.
    #[error("no such item")]
    NotFound,
    /// 403: only the item's owner and admins change it.
    #[error("only the item's owner or an admin may change it")]
    Forbidden,
    /// 409: the item changed since it was read.
    #[error("the item was changed concurrently; reload and retry")]
    Stale,
    /// The store failed (its own status: 409, 503 or 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ItemsError> for ApiError {
    fn from(error: ItemsError) -> Self {
        match error {
            ItemsError::NotFound => ApiError::NotFound(error.to_string()),
            ItemsError::Forbidden => ApiError::Forbidden(error.to_string()),
            ItemsError::Stale => ApiError::Conflict(error.to_string()),
            ItemsError::Store(error) => error.into(),
        }
    }
}

/// An item's fields as a client gives them: all of them for a create or a
/// replacement (`PUT`); for a change (`PATCH`), those to set.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub name: Option<ItemName>,
    pub description: Option<Description>,
    pub status: Option<ItemStatus>,
    pub metadata: Option<Metadata>,
}

/// The fields whose change an `item.updated` event names.
const CHANGEABLE: [&str; 4] = ["name", "description", "status", "metadata"];

fn event(event_type: &str, actor: Actor, correlation_id: &str, record: &ItemRecord) -> Envelope {
    Envelope::new(
        event_type,
        events::ITEM,
        record.id,
        actor,
        correlation_id,
        item_data(record),
    )
}

/// Item `id`.
pub async fn item(store: &Store, id: &EntityId) -> Result<ItemRecord, ItemsError> {
    store.item_by_id(id).await?.ok_or(ItemsError::NotFound)
}

/// A page of items as `filter` shows them, from just past the sort key
/// `after`; the sort key that resumes it (`None` at the end).
pub async fn list(
    store: &Store,
    filter: &ItemFilter,
    limit: usize,
    after: Option<&str>,
) -> Result<(Vec<ItemRecord>, Option<String>), ItemsError> {
    Ok(store.list_items(filter, limit, after).await?)
}

/// Stores a new item owned by `principal`: `name` is required, the rest
/// default (no description, `active`, `{}`).
pub async fn create(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    name: ItemName,
    fields: Fields,
) -> Result<ItemRecord, ItemsError> {
    let now = clock::now();
    let record = ItemRecord {
        id: EntityId::new(),
        name,
        description: fields.description.unwrap_or_default(),
        status: fields.status.unwrap_or(ItemStatus::Active),
        metadata: fields.metadata.unwrap_or_else(Metadata::empty),
        owner_id: principal.user_id,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let event = event(
        events::ITEM_CREATED,
        Actor::from(principal),
        correlation_id,
        &record,
    );
    store.create_item(&record, &event).await?;
    Ok(record)
}

/// Sets `fields` on `record` (as it was read) and stores it if it is still
/// at that version; returns the item after.
pub async fn update(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    record: &ItemRecord,
    fields: Fields,
) -> Result<ItemRecord, ItemsError> {
    if !may_change(principal, &record.owner_id) {
        return Err(ItemsError::Forbidden);
    }
    apply(
        store,
        Actor::from(principal),
        correlation_id,
        0,
        record,
        fields,
    )
    .await
}

/// The platform's own work on items (a job acting for an admin): who acts,
/// in which chain of events, at which depth (one below the work's cause,
/// so rules that react to its changes cannot loop).
#[derive(Debug, Clone)]
pub struct Work {
    pub actor: Actor,
    pub correlation_id: String,
    pub depth: u32,
}

/// [`update`] as the platform's own work, on any item.
pub async fn update_as(
    store: &Store,
    work: &Work,
    record: &ItemRecord,
    fields: Fields,
) -> Result<ItemRecord, ItemsError> {
    apply(
        store,
        work.actor.clone(),
        &work.correlation_id,
        work.depth,
        record,
        fields,
    )
    .await
}

async fn apply(
    store: &Store,
    actor: Actor,
    correlation_id: &str,
    depth: u32,
    record: &ItemRecord,
    fields: Fields,
) -> Result<ItemRecord, ItemsError> {
    let mut after = record.clone();
    if let Some(name) = fields.name {
        after.name = name;
    }
    if let Some(description) = fields.description {
        after.description = description;
    }
    if let Some(status) = fields.status {
        after.status = status;
    }
    if let Some(metadata) = fields.metadata {
        after.metadata = metadata;
    }
    after.version += 1;
    after.updated_at = clock::now();
    let mut event = event(events::ITEM_UPDATED, actor, correlation_id, &after).changes_between(
        &item_data(record),
        &item_data(&after),
        &CHANGEABLE,
    );
    event.depth = depth;
    store
        .replace_item(record, &after, &event)
        .await
        .map_err(stale_on_condition)?;
    Ok(after)
}

/// Deletes `record` if it is still at the version read.
pub async fn delete(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    record: &ItemRecord,
) -> Result<(), ItemsError> {
    if !may_change(principal, &record.owner_id) {
        return Err(ItemsError::Forbidden);
    }
    remove(store, Actor::from(principal), correlation_id, 0, record).await
}

/// [`delete`] as the platform's own work, of any item.
pub async fn delete_as(store: &Store, work: &Work, record: &ItemRecord) -> Result<(), ItemsError> {
    remove(
        store,
        work.actor.clone(),
        &work.correlation_id,
        work.depth,
        record,
    )
    .await
}

async fn remove(
    store: &Store,
    actor: Actor,
    correlation_id: &str,
    depth: u32,
    record: &ItemRecord,
) -> Result<(), ItemsError> {
    let mut event = event(events::ITEM_DELETED, actor, correlation_id, record);
    event.depth = depth;
    store
        .delete_item(record, &event)
        .await
        .map_err(stale_on_condition)
}

fn stale_on_condition(error: StoreError) -> ItemsError {
    match error {
        StoreError::ConditionFailed => ItemsError::Stale,
        other => ItemsError::Store(other),
    }
}
