//! Reading the audit log: one page of records, newest first, for a set of
//! filters. Every page is served by `Query` on one key, never a scan.
//!
//! Which key serves a listing (the most selective one its filters name; the
//! other filters become a `FilterExpression`):
//!
//! | filters given                     | key condition                                | index  | filtered on        |
//! |-----------------------------------|----------------------------------------------|--------|--------------------|
//! | `entity` + `entity_id` (+ any)    | `pk = ENTITY#<entity>#<entity_id>`           | table  | `user_id`, `action` |
//! | `user_id` (+ `action`, `entity`)  | `gsi1pk = ACTOR#<user_id>`                   | `gsi1` | `action`, `entity` |
//! | `action` (+ `entity`)             | `gsi2pk = ACTION#<action>`                   | `gsi2` | `entity`           |
//! | `entity` alone                    | `gsi3pk = ENTITY#<entity>`                   | `gsi3` | —                  |
//! | none                              | `gsi4pk = DAY#<day>`, each day from `to` back to `from` | `gsi4` | —       |
//!
//! `from`/`to` (inclusive) are always part of the key condition, as
//! `<sort key> BETWEEN <from>#  AND <to>#~` (or `>=` / `<=` when only one is
//! given), never a filter. Without a key filter the window defaults to the
//! [`DEFAULT_WINDOW`] before `to`, and `to` to now.
//!
//! Pages stay full: a query that filters, or ends a day's partition, goes
//! on (from `LastEvaluatedKey`, or with the previous day) until it has one
//! record more than the page or nothing is left, within
//! [`MAX_ROUND_TRIPS`]. A page cut short by that bound still carries a
//! cursor to where the reading stopped, so no record is skipped.
//!
//! The resume position a page returns is what the API signs as its cursor:
//! the key attributes of the page's last record (for the day walk also the
//! resolved window), or, when the bound cut the page short, the
//! `LastEvaluatedKey` or the day to start next.

mod walk;

#[cfg(test)]
use walk::Walk;

use super::super::{Item, StoreError, StoreFuture};
use super::names::{ActionName, AuditId, EntityKind};
use super::{action_pk, actor_pk, entity_pk, kind_pk, AuditRecord};
use crate::clock;
use crate::store::schema::AUDIT_INDEXES;
use anyhow::anyhow;
use aws_sdk_dynamodb::types::AttributeValue;
use time::{Date, Duration, OffsetDateTime};

/// The time window of a listing without a key filter when `from` is not
/// given: this long before `to`.
pub const DEFAULT_WINDOW: Duration = Duration::days(30);
/// The most `Query` calls one page may take.
pub const MAX_ROUND_TRIPS: usize = 32;
/// Items read per call while a filter applies (DynamoDB's `Limit` counts
/// items before filtering, so asking for just the missing few would make
/// many small round trips).
const FILTERED_READ: usize = 100;

/// Cursor attributes of the day walk besides the key: the resolved window
/// (so that "now" and "30 days before" stay put across pages) and the day
/// to start when the cursor has no key.
const WINDOW_FROM: &str = "window_from";
const WINDOW_TO: &str = "window_to";
const DAY: &str = "day";

/// The filters of a listing. An entity id only ever comes with its kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub entity: Option<(EntityKind, Option<AuditId>)>,
    pub user_id: Option<AuditId>,
    pub action: Option<ActionName>,
}

/// A listing: its filters and an inclusive time window, either end open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub filter: AuditFilter,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

/// Where records are read: the table or one of its indexes, named by its
/// key attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Source {
    index: Option<&'static str>,
    partition: &'static str,
    sort: &'static str,
}

const TABLE: Source = Source {
    index: None,
    partition: "pk",
    sort: "sk",
};

const fn index(position: usize) -> Source {
    let (name, partition, sort) = AUDIT_INDEXES[position];
    Source {
        index: Some(name),
        partition,
        sort,
    }
}

const BY_ACTOR: Source = index(0);
const BY_ACTION: Source = index(1);
const BY_KIND: Source = index(2);
const BY_DAY: Source = index(3);

/// The partition(s) a listing reads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// One partition of the table or an index.
    Partition(Source, String),
    /// The `gsi4` day partitions of the window, newest first.
    Days,
}

impl AuditFilter {
    /// The most selective key the filters name, and the filters left over
    /// as `(attribute, value)` equality conditions.
    fn target(&self) -> (Target, Vec<(&'static str, String)>) {
        let user = self.user_id.as_ref().map(|u| ("user_id", u.to_string()));
        let action = self
            .action
            .as_ref()
            .map(|a| ("action", a.as_str().to_owned()));
        let kind = |entity: &EntityKind| ("entity", entity.as_str().to_owned());
        match (&self.entity, &self.user_id, &self.action) {
            (Some((entity, Some(id))), _, _) => (
                Target::Partition(TABLE, entity_pk(entity.as_str(), id.as_str())),
                user.into_iter().chain(action).collect(),
            ),
            (entity, Some(user_id), _) => (
                Target::Partition(BY_ACTOR, actor_pk(user_id.as_str())),
                action
                    .into_iter()
                    .chain(entity.as_ref().map(|(e, _)| kind(e)))
                    .collect(),
            ),
            (entity, None, Some(name)) => (
                Target::Partition(BY_ACTION, action_pk(name.as_str())),
                entity.as_ref().map(|(e, _)| kind(e)).into_iter().collect(),
            ),
            (Some((entity, None)), None, None) => (
                Target::Partition(BY_KIND, kind_pk(entity.as_str())),
                Vec::new(),
            ),
            (None, None, None) => (Target::Days, Vec::new()),
        }
    }
}

/// The sort key bound at or after `from`: sort keys are
/// `<sortable time>#<event id>`, times have millisecond precision, so a
/// `from` between two milliseconds starts at the next one.
fn lower_bound(from: OffsetDateTime) -> String {
    let truncated = from
        .replace_nanosecond(u32::from(from.millisecond()) * 1_000_000)
        .unwrap_or(from);
    let start = if truncated < from {
        truncated
            .checked_add(Duration::milliseconds(1))
            .unwrap_or(from)
    } else {
        truncated
    };
    format!("{}#", clock::sortable(start))
}

/// The sort key bound at or before `to`: `~` sorts after every character
/// of an event id (lowercase hex and `-`), so every record of `to`'s
/// millisecond is included.
fn upper_bound(to: OffsetDateTime) -> String {
    format!("{}#~", clock::sortable(to))
}

/// The day (`yyyy-mm-dd`) of a sort key or bound.
fn day_text(sort_key: &str) -> Result<&str, StoreError> {
    sort_key
        .get(..10)
        .ok_or_else(|| StoreError::Other(anyhow!("not a sortable time: {sort_key}")))
}

fn parse_day(text: &str) -> Result<Date, StoreError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format)
        .map_err(|e| StoreError::Other(anyhow::Error::new(e).context("a day of the audit log")))
}

fn format_day(day: Date) -> String {
    let midnight = day.midnight().assume_utc();
    clock::sortable(midnight)[..10].to_owned()
}

fn malformed() -> StoreError {
    StoreError::Other(anyhow!("an audit cursor of another shape"))
}

fn take_text(item: &mut Item, name: &str) -> Result<Option<String>, StoreError> {
    match item.remove(name) {
        None => Ok(None),
        Some(AttributeValue::S(text)) => Ok(Some(text)),
        Some(_) => Err(malformed()),
    }
}

impl AuditQuery {
    /// The cursor scope of this listing: its filters and bounds, as JSON
    /// (so no value can be confused with another filter).
    pub fn scope(&self) -> String {
        let filter = &self.filter;
        let scope = serde_json::json!({
            "entity": filter.entity.as_ref().map(|(e, _)| e.as_str()),
            "entity_id": filter.entity.as_ref().and_then(|(_, id)| id.as_ref()).map(AuditId::as_str),
            "user_id": filter.user_id.as_ref().map(AuditId::as_str),
            "action": filter.action.as_ref().map(ActionName::as_str),
            "from": self.from.map(lower_bound),
            "to": self.to.map(upper_bound),
        });
        format!("auditLogs/1:{scope}")
    }
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait AuditQueryStore {
    /// A page of audit records for `query`, newest first, and the position
    /// to go on from (`None` exactly when nothing follows, unless the
    /// round-trip bound cut the page short).
    fn audit_records(
        &self,
        query: &AuditQuery,
        limit: i32,
        start: Option<Item>,
    ) -> impl StoreFuture<(Vec<AuditRecord>, Option<Item>)>;

    /// The record of event `id`: `Query gsi5 gsi5pk = RECORD#<id>` (one
    /// item at most).
    fn audit_record(&self, id: &str) -> impl StoreFuture<Option<AuditRecord>>;
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
