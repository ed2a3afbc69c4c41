//! Items and their listing links.
//!
//! Access patterns:
//! - item by id: `GetItem pk=ITEM#<id>, sk=ITEM`
//! - a page of items, filtered by status or not, in one ordering: `Query
//!   pk=ITEMS#<ALL|status>` with `begins_with(sk, <ordering prefix>)`
//!   (forwards or backwards, from the cursor's sort key), then
//!   `BatchGetItem` of the page's items ([`super::keys`] lists the links)
//! - a search: the same `Query` with `contains(name_lower, :search)` as its
//!   filter. DynamoDB reads (and bills) every link of the partition it
//!   passes, matching or not: a page reads up to 8 rounds of links (1 MB
//!   each at most) and comes back short, with a cursor, when the matches
//!   are sparser than that. Fine for thousands of items; for a catalogue
//!   of millions searched by words, index names in a search engine
//!   (OpenSearch) fed from the outbox.
//!
//! Every write of an item rewrites its links in the same transaction, with
//! its event: a listing never shows an item in a status or an order it
//! has left. Links carry the item's id and its name in lower case (what a
//! search matches), not the item: a change rewrites six small items.

use super::{
    entity_item, from_item, keys, s, Entity, Expr, Keys, Partition, Store, StoreError, StoreFuture,
};
use crate::domain::{
    fold_case, Description, ItemName, ItemStatus, Metadata, Search, SortBy, SortOrder,
};
use crate::events::{Envelope, OutboxItem};
use aws_sdk_dynamodb::types::TransactWriteItem;
use opsflow_platform::domain::EntityId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub id: EntityId,
    pub name: ItemName,
    #[serde(default)]
    pub description: Description,
    pub status: ItemStatus,
    #[serde(default = "Metadata::empty")]
    pub metadata: Metadata,
    /// Who created it: its owner.
    pub owner_id: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Entity for ItemRecord {
    const TYPE: &'static str = "item";

    fn keys(&self) -> Keys {
        Keys::table(keys::item_pk(&self.id), keys::ITEM_SK)
    }
}

/// One of an item's listing links.
#[derive(Debug, Serialize)]
struct ItemLink {
    #[serde(skip)]
    keys: Keys,
    item_id: EntityId,
    /// What a search matches.
    name_lower: String,
}

impl Entity for ItemLink {
    const TYPE: &'static str = "item_link";

    fn keys(&self) -> Keys {
        self.keys.clone()
    }
}

impl ItemRecord {
    /// The six links that list the item as it is now.
    fn links(&self) -> Vec<ItemLink> {
        let partitions = [keys::listing_pk(None), keys::listing_pk(Some(self.status))];
        partitions
            .iter()
            .flat_map(|pk| {
                SortBy::ALL.map(|sort| ItemLink {
                    keys: Keys::table(
                        pk.clone(),
                        keys::link_sk(
                            sort,
                            &self.id,
                            self.name.as_str(),
                            self.created_at,
                            self.updated_at,
                        ),
                    ),
                    item_id: self.id,
                    name_lower: fold_case(self.name.as_str()),
                })
            })
            .collect()
    }
}

/// What a listing shows: the items of one status or all, those whose name
/// holds `search`, in one ordering.
#[derive(Debug, Clone)]
pub struct ItemFilter {
    pub status: Option<ItemStatus>,
    pub search: Option<Search>,
    pub sort: SortBy,
    pub order: SortOrder,
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait ItemStore {
    fn item_by_id(&self, id: &EntityId) -> impl StoreFuture<Option<ItemRecord>>;

    /// Stores a new item, its links and its event.
    fn create_item(&self, record: &ItemRecord, event: &Envelope) -> impl StoreFuture<()>;

    /// Replaces `before` (still at its version: else `ConditionFailed`)
    /// with `after`, moving its links, with the event.
    fn replace_item(
        &self,
        before: &ItemRecord,
        after: &ItemRecord,
        event: &Envelope,
    ) -> impl StoreFuture<()>;

    /// Deletes an item still at its version, its links, with the event.
    fn delete_item(&self, record: &ItemRecord, event: &Envelope) -> impl StoreFuture<()>;

    /// A page of items as `filter` shows them, from just past the sort key
    /// `after`; the sort key that resumes it (`None` at the end).
    fn list_items(
        &self,
        filter: &ItemFilter,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<ItemRecord>, Option<String>)>;
}

fn put_links(store: &Store, record: &ItemRecord) -> Result<Vec<TransactWriteItem>, StoreError> {
    record
        .links()
        .iter()
        .map(|link| store.put(entity_item(link)?, None))
        .collect()
}

fn event_item(store: &Store, event: &Envelope) -> Result<TransactWriteItem, StoreError> {
    store.put(OutboxItem::new(event)?.to_item()?, None)
}

impl ItemStore for Store {
    async fn item_by_id(&self, id: &EntityId) -> Result<Option<ItemRecord>, StoreError> {
        self.get(keys::item_pk(id), keys::ITEM_SK).await
    }

    async fn create_item(&self, record: &ItemRecord, event: &Envelope) -> Result<(), StoreError> {
        let mut items = vec![self.put(
            record.item()?,
            Some(("attribute_not_exists(pk)", Vec::new())),
        )?];
        items.extend(put_links(self, record)?);
        items.push(event_item(self, event)?);
        self.transact(items).await
    }

    async fn replace_item(
        &self,
        before: &ItemRecord,
        after: &ItemRecord,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        let kept: Vec<Keys> = after.links().into_iter().map(|link| link.keys).collect();
        let mut links = Vec::new();
        for link in before.links() {
            if !kept.contains(&link.keys) {
                links.push(self.delete(link.keys.pk, &link.keys.sk, None)?);
            }
        }
        links.extend(put_links(self, after)?);
        self.replace_versioned(after.item()?, before.version, links, Some(event))
            .await
    }

    async fn delete_item(&self, record: &ItemRecord, event: &Envelope) -> Result<(), StoreError> {
        let links = record
            .links()
            .into_iter()
            .map(|link| self.delete(link.keys.pk, &link.keys.sk, None))
            .collect::<Result<Vec<_>, _>>()?;
        self.delete_versioned(
            keys::item_pk(&record.id),
            keys::ITEM_SK,
            record.version,
            links,
            event,
        )
        .await
    }

    async fn list_items(
        &self,
        filter: &ItemFilter,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<ItemRecord>, Option<String>), StoreError> {
        let partition = Partition {
            index: None,
            partition_attribute: "pk",
            sort_attribute: "sk",
            partition: keys::listing_pk(filter.status),
        };
        let search = filter.search.as_ref().map(|search| {
            Expr::new("contains(name_lower, :search)").value(":search", s(search.as_str()))
        });
        let (links, next) = self
            .query_merged(
                std::slice::from_ref(&partition),
                keys::sort_prefix(filter.sort),
                search.as_ref(),
                limit,
                after,
                filter.order == SortOrder::Desc,
            )
            .await?;
        let wanted = links
            .iter()
            .filter_map(|link| match link.get("item_id") {
                Some(aws_sdk_dynamodb::types::AttributeValue::S(id)) => EntityId::parse(id).ok(),
                _ => None,
            })
            .map(|id| (keys::item_pk(&id), keys::ITEM_SK.to_owned()))
            .collect();
        let records = self
            .batch_get(wanted)
            .await?
            .into_iter()
            .map(from_item::<ItemRecord>)
            .collect::<Result<_, _>>()?;
        Ok((records, next))
    }
}
