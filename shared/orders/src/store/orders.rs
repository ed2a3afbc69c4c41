//! Orders and their timelines.
//!
//! Access patterns:
//! - order by id: `GetItem pk=ORDER#<id>, sk=ORDER`
//! - every order, newest first: `Query gsi1 gsi1pk=ORDERS` (`gsi1sk =
//!   ORDER#<id>`, ids are UUIDv7: creation order); one user's: `Query gsi2
//!   gsi2pk=ORDERS#USER#<user id>`; of one status: the same with
//!   `#status = :status` as a filter (read rounds are bounded, as for every
//!   filtered listing); placed within `from..=to`: the same with `gsi1sk`
//!   (`gsi2sk`) `BETWEEN` the ids of those times ([`placed_within`])
//! - an order's timeline, oldest first: `Query pk=ORDER#<id>,
//!   begins_with(sk, TIMELINE#)`: one entry per change, written in the
//!   same transaction as the change (`sk = TIMELINE#<ms>#<event id>`).

use super::{
    from_item, s, Entity, Expr, Item, Keys, Partition, SortRange, Store, StoreError, StoreFuture,
};
use crate::domain::OrderStatus;
use opsflow_inventory::domain::Sku;
use opsflow_platform::domain::EntityId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

pub const ORDER_SK: &str = "ORDER";
const TIMELINE: &str = "TIMELINE#";
const SORT_PREFIX: &str = "ORDER#";

pub fn order_pk(id: &EntityId) -> String {
    format!("ORDER#{id}")
}

/// One line as ordered: the SKU's name and price when the order was placed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub sku: Sku,
    pub name: String,
    pub quantity: i64,
    /// Minor units (cents).
    pub unit_price: i64,
    pub line_total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub id: EntityId,
    /// Who placed it: its owner.
    pub user_id: EntityId,
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    /// Minor units (cents): the sum of the lines.
    pub total: i64,
    #[serde(default)]
    pub notes: String,
    /// Held by a rule until an approval is approved: not to be processed.
    #[serde(default)]
    pub hold: Option<Hold>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

/// Why an order is held, and the approval that releases it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hold {
    pub reason: String,
    /// The approval request the hold filed; its approval releases the order.
    pub approval_id: EntityId,
    /// The rule that held it.
    pub rule_id: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl Entity for OrderRecord {
    const TYPE: &'static str = "order";

    fn keys(&self) -> Keys {
        let sort = order_pk(&self.id);
        Keys::table(order_pk(&self.id), ORDER_SK)
            .gsi1("ORDERS", sort.clone())
            .gsi2(format!("ORDERS#USER#{}", self.user_id), sort)
    }
}

/// One change of an order, as its timeline shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub order_id: EntityId,
    /// `created`, `status_changed`, `updated`.
    pub kind: String,
    pub event_id: EntityId,
    /// `{field: [before, after]}`.
    pub changes: Value,
    pub actor_id: String,
    pub actor_role: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl Entity for TimelineEntry {
    const TYPE: &'static str = "order_timeline";

    fn keys(&self) -> Keys {
        let millis = self.at.unix_timestamp_nanos() / 1_000_000;
        Keys::table(
            order_pk(&self.order_id),
            format!("{TIMELINE}{millis:015}#{}", self.event_id),
        )
    }
}

/// What a listing of orders shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrderFilter {
    /// One user's orders (`None`: everyone's).
    pub user_id: Option<EntityId>,
    pub status: Option<OrderStatus>,
    /// Placed at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Placed at or before this time (to the millisecond).
    pub to: Option<OffsetDateTime>,
}

/// The sort keys of orders placed within `from..=to`: an order's id is a
/// UUIDv7, whose first 48 bits (12 hex digits, a hyphen after the eighth)
/// are its creation time in Unix milliseconds.
pub fn placed_within(from: Option<OffsetDateTime>, to: Option<OffsetDateTime>) -> SortRange {
    // The id's hyphenated text up to the end of its time (13 characters)
    // of millisecond `millis`.
    let at = |millis: i128| {
        let millis = u64::try_from(millis.clamp(0, (1 << 48) - 1)).unwrap_or_default();
        let lowest = EntityId::earliest_at(millis);
        format!("{SORT_PREFIX}{}", &lowest.to_string()[..13])
    };
    // Ids carry whole milliseconds: `from` rounds up, `to` down.
    let nanos = |time: OffsetDateTime| time.unix_timestamp_nanos();
    let mut range = SortRange::prefix(SORT_PREFIX);
    if let Some(from) = from {
        range.low =
            at(nanos(from).div_euclid(1_000_000)
                + i128::from(nanos(from).rem_euclid(1_000_000) > 0));
    }
    if let Some(to) = to {
        range.high = format!("{}\u{10FFFF}", at(nanos(to).div_euclid(1_000_000)));
    }
    range
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait OrderStore {
    fn order_by_id(&self, id: &EntityId) -> impl StoreFuture<Option<OrderRecord>>;

    /// The put of a new order (its id must be free), for a transaction.
    fn new_order(
        &self,
        record: &OrderRecord,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError>;

    /// The put of `after` over the order still at version `expected`.
    fn next_order(
        &self,
        expected: u64,
        after: &OrderRecord,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError>;

    fn timeline_entry(
        &self,
        entry: &TimelineEntry,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError>;

    /// A page of orders, newest first, from just past the sort key `after`.
    fn list_orders(
        &self,
        filter: OrderFilter,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<OrderRecord>, Option<String>)>;

    /// Every entry of order `id`'s timeline, oldest first.
    fn timeline(&self, id: &EntityId) -> impl StoreFuture<Vec<TimelineEntry>>;

    /// Deletes an order still at its version, with its timeline (up to
    /// [`MAX_DELETED_TIMELINE`] entries: an order has a handful) and its
    /// event, in one transaction.
    fn delete_order(
        &self,
        record: &OrderRecord,
        timeline: &[TimelineEntry],
        event: &crate::events::Envelope,
    ) -> impl StoreFuture<()>;
}

/// The most timeline entries a deletion removes with its order (the
/// transaction's 100 items, less the order, its event and the request's
/// own).
pub const MAX_DELETED_TIMELINE: usize = 90;

impl OrderStore for Store {
    async fn order_by_id(&self, id: &EntityId) -> Result<Option<OrderRecord>, StoreError> {
        self.get(order_pk(id), ORDER_SK).await
    }

    fn new_order(
        &self,
        record: &OrderRecord,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
        self.put(
            record.item()?,
            Some(("attribute_not_exists(pk)", Vec::new())),
        )
    }

    fn next_order(
        &self,
        expected: u64,
        after: &OrderRecord,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
        self.put(
            after.item()?,
            Some((
                "attribute_exists(pk) AND version = :expected",
                vec![(":expected", super::n(expected))],
            )),
        )
    }

    fn timeline_entry(
        &self,
        entry: &TimelineEntry,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
        self.put(entry.item()?, None)
    }

    async fn list_orders(
        &self,
        filter: OrderFilter,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<OrderRecord>, Option<String>), StoreError> {
        let partition = match filter.user_id {
            Some(user) => Partition {
                index: Some("gsi2"),
                partition_attribute: "gsi2pk",
                sort_attribute: "gsi2sk",
                partition: format!("ORDERS#USER#{user}"),
            },
            None => Partition {
                index: Some("gsi1"),
                partition_attribute: "gsi1pk",
                sort_attribute: "gsi1sk",
                partition: "ORDERS".into(),
            },
        };
        let status = filter.status.map(|status| {
            Expr::new("#status = :status")
                .name("#status", "status")
                .value(":status", s(status.as_str()))
        });
        let (items, next) = self
            .query_range(
                std::slice::from_ref(&partition),
                &placed_within(filter.from, filter.to),
                status.as_ref(),
                limit,
                after,
                true,
            )
            .await?;
        let records = items
            .into_iter()
            .map(from_item::<OrderRecord>)
            .collect::<Result<_, _>>()?;
        Ok((records, next))
    }

    async fn delete_order(
        &self,
        record: &OrderRecord,
        timeline: &[TimelineEntry],
        event: &crate::events::Envelope,
    ) -> Result<(), StoreError> {
        let entries = timeline
            .iter()
            .take(MAX_DELETED_TIMELINE)
            .map(|entry| {
                let keys = entry.keys();
                self.delete(keys.pk, &keys.sk, None)
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.delete_versioned(
            order_pk(&record.id),
            ORDER_SK,
            record.version,
            entries,
            event,
        )
        .await
    }

    async fn timeline(&self, id: &EntityId) -> Result<Vec<TimelineEntry>, StoreError> {
        let partition = Partition {
            index: None,
            partition_attribute: "pk",
            sort_attribute: "sk",
            partition: order_pk(id),
        };
        let mut entries = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (items, next): (Vec<Item>, Option<String>) = self
                .query_merged(
                    std::slice::from_ref(&partition),
                    TIMELINE,
                    None,
                    100,
                    after.as_deref(),
                    false,
                )
                .await?;
            for item in items {
                entries.push(from_item::<TimelineEntry>(item)?);
            }
            match next {
                Some(next) if entries.len() < 10_000 => after = Some(next),
                _ => return Ok(entries),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_by_time_keeps_whole_milliseconds_within_it() {
        let at = time::macros::datetime!(2026-12-04 10:00:00.000_5 UTC);
        let millis = 1_796_378_400_000u64;
        assert_eq!(at.unix_timestamp_nanos() / 1_000_000, i128::from(millis));
        let id = |ms: u64| EntityId::earliest_at(ms).to_string()[..13].to_owned();
        let range = placed_within(Some(at), Some(at));
        assert_eq!(
            range.low,
            format!("ORDER#{}", id(millis + 1)),
            "from rounds up"
        );
        assert_eq!(
            range.high,
            format!("ORDER#{}\u{10FFFF}", id(millis)),
            "to rounds down"
        );
        let whole = time::macros::datetime!(2026-12-04 10:00:00 UTC);
        assert_eq!(
            placed_within(Some(whole), None).low,
            format!("ORDER#{}", id(millis))
        );
        let before_1970 = time::macros::datetime!(1960-01-01 00:00 UTC);
        assert_eq!(
            placed_within(Some(before_1970), None).low,
            format!("ORDER#{}", id(0))
        );
        assert_eq!(placed_within(None, None), SortRange::prefix("ORDER#"));
    }
}
