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

use super::super::{classify, from_item, s, Item, Store, StoreError};
use super::names::{ActionName, AuditId, EntityKind};
use super::{action_pk, actor_pk, day_pk, entity_pk, kind_pk, AuditRecord};
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

/// Reading in progress: the key, the bounds, the partition being read and
/// where in it to go on.
#[derive(Debug, Clone, PartialEq)]
struct Walk {
    source: Source,
    filters: Vec<(&'static str, String)>,
    lower: Option<String>,
    upper: Option<String>,
    partition: String,
    /// For the day walk: the day being read, and the oldest day to read.
    days: Option<(Date, Date)>,
    start: Option<Item>,
}

impl Walk {
    /// Where a listing starts (`start: None`) or goes on (from a resume
    /// position this module issued). `None` when the window is empty.
    fn begin(
        query: &AuditQuery,
        start: Option<Item>,
        now: OffsetDateTime,
    ) -> Result<Option<Self>, StoreError> {
        let (target, filters) = query.filter.target();
        let Target::Partition(source, partition) = target else {
            return Self::days(query, start, now);
        };
        let lower = query.from.map(lower_bound);
        let upper = query.to.map(upper_bound);
        if let (Some(lower), Some(upper)) = (&lower, &upper) {
            if lower > upper {
                return Ok(None);
            }
        }
        Ok(Some(Self {
            source,
            filters,
            lower,
            upper,
            partition,
            days: None,
            start,
        }))
    }

    fn days(
        query: &AuditQuery,
        start: Option<Item>,
        now: OffsetDateTime,
    ) -> Result<Option<Self>, StoreError> {
        let (lower, upper, mut start) = match start {
            Some(mut item) => {
                let lower = take_text(&mut item, WINDOW_FROM)?.ok_or_else(malformed)?;
                let upper = take_text(&mut item, WINDOW_TO)?.ok_or_else(malformed)?;
                (lower, upper, item)
            }
            None => {
                let to = query.to.unwrap_or(now);
                let from = query
                    .from
                    .or_else(|| to.checked_sub(DEFAULT_WINDOW))
                    .unwrap_or(to);
                (lower_bound(from), upper_bound(to), Item::new())
            }
        };
        if lower > upper {
            return Ok(None);
        }
        let oldest = parse_day(day_text(&lower)?)?;
        let day = match (take_text(&mut start, DAY)?, start.get(BY_DAY.partition)) {
            (Some(day), _) => parse_day(&day)?,
            (None, Some(AttributeValue::S(partition))) => {
                parse_day(partition.strip_prefix("DAY#").ok_or_else(malformed)?)?
            }
            (None, Some(_)) => return Err(malformed()),
            (None, None) => parse_day(day_text(&upper)?)?,
        };
        Ok(Some(Self {
            source: BY_DAY,
            filters: Vec::new(),
            lower: Some(lower),
            upper: Some(upper),
            partition: day_pk(&format_day(day)),
            days: Some((day, oldest)),
            start: (!start.is_empty()).then_some(start),
        }))
    }

    /// Moves to the previous day of the window; `false` when there is none
    /// (or this is not a day walk).
    fn previous_day(&mut self) -> bool {
        let Some((day, oldest)) = self.days else {
            return false;
        };
        match day.previous_day() {
            Some(previous) if previous >= oldest => {
                self.days = Some((previous, oldest));
                self.partition = day_pk(&format_day(previous));
                self.start = None;
                true
            }
            _ => false,
        }
    }

    /// The window, for a day walk's resume positions.
    fn window(&self, position: &mut Item) {
        if self.days.is_some() {
            for (name, bound) in [(WINDOW_FROM, &self.lower), (WINDOW_TO, &self.upper)] {
                if let Some(bound) = bound {
                    position.insert(name.to_owned(), s(bound.clone()));
                }
            }
        }
    }

    /// The position just after `item`: its key on the table and the index.
    fn after(&self, item: &Item) -> Item {
        let mut position: Item = ["pk", "sk", self.source.partition, self.source.sort]
            .into_iter()
            .filter_map(|name| item.get(name).map(|v| (name.to_owned(), v.clone())))
            .collect();
        self.window(&mut position);
        position
    }

    /// Where reading stopped: the last evaluated key, or the day to start.
    fn here(&self) -> Item {
        let mut position = self.start.clone().unwrap_or_default();
        if let (None, Some((day, _))) = (&self.start, self.days) {
            position.insert(DAY.to_owned(), s(format_day(day)));
        }
        self.window(&mut position);
        position
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
    ) -> impl std::future::Future<Output = Result<(Vec<AuditRecord>, Option<Item>), StoreError>> + Send;
}

impl AuditQueryStore for Store {
    #[tracing::instrument(skip(self, query, start), fields(table = %self.table()))]
    async fn audit_records(
        &self,
        query: &AuditQuery,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<AuditRecord>, Option<Item>), StoreError> {
        let Some(mut walk) = Walk::begin(query, start, clock::now())? else {
            return Ok((Vec::new(), None));
        };
        let limit = usize::try_from(limit).unwrap_or(0).max(1);
        let mut items: Vec<Item> = Vec::new();
        for _ in 0..MAX_ROUND_TRIPS {
            let wanted = limit + 1 - items.len();
            let read = if walk.filters.is_empty() {
                wanted
            } else {
                wanted.max(FILTERED_READ)
            };
            let (page, last_evaluated) = self.read_audit(&walk, read).await?;
            items.extend(page);
            if items.len() > limit {
                items.truncate(limit);
                let next = items.last().map(|last| walk.after(last));
                return Ok((records(items)?, next));
            }
            match last_evaluated {
                Some(key) => walk.start = Some(key),
                None if walk.previous_day() => {}
                None => return Ok((records(items)?, None)),
            }
        }
        let here = walk.here();
        Ok((records(items)?, Some(here)))
    }
}

trait AuditQueryStoreInternal {
    /// One `Query` of a walk's partition.
    fn read_audit(
        &self,
        walk: &Walk,
        limit: usize,
    ) -> impl std::future::Future<Output = Result<(Vec<Item>, Option<Item>), StoreError>> + Send;
}

impl AuditQueryStoreInternal for Store {
    async fn read_audit(
        &self,
        walk: &Walk,
        limit: usize,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let mut condition = "#pk = :pk".to_owned();
        let mut request = self
            .client()
            .query()
            .table_name(self.table())
            .set_index_name(walk.source.index.map(str::to_owned))
            .expression_attribute_names("#pk", walk.source.partition)
            .expression_attribute_values(":pk", s(walk.partition.clone()))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(walk.start.clone());
        let range = match (&walk.lower, &walk.upper) {
            (Some(_), Some(_)) => Some(" AND #sk BETWEEN :lower AND :upper"),
            (Some(_), None) => Some(" AND #sk >= :lower"),
            (None, Some(_)) => Some(" AND #sk <= :upper"),
            (None, None) => None,
        };
        if let Some(range) = range {
            condition.push_str(range);
            request = request.expression_attribute_names("#sk", walk.source.sort);
        }
        if let Some(lower) = &walk.lower {
            request = request.expression_attribute_values(":lower", s(lower.clone()));
        }
        if let Some(upper) = &walk.upper {
            request = request.expression_attribute_values(":upper", s(upper.clone()));
        }
        let mut filter = Vec::new();
        for (position, (attribute, value)) in walk.filters.iter().enumerate() {
            filter.push(format!("#f{position} = :f{position}"));
            request = request
                .expression_attribute_names(format!("#f{position}"), *attribute)
                .expression_attribute_values(format!(":f{position}"), s(value.clone()));
        }
        if !filter.is_empty() {
            request = request.filter_expression(filter.join(" AND "));
        }
        let output = request
            .key_condition_expression(condition)
            .send()
            .await
            .map_err(|e| classify(e, "Query"))?;
        Ok((output.items.unwrap_or_default(), output.last_evaluated_key))
    }
}

fn records(items: Vec<Item>) -> Result<Vec<AuditRecord>, StoreError> {
    items.into_iter().map(from_item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn filter(
        entity: Option<(&str, Option<&str>)>,
        user_id: Option<&str>,
        action: Option<&str>,
    ) -> AuditFilter {
        AuditFilter {
            entity: entity.map(|(kind, id)| {
                (
                    EntityKind::parse(kind).unwrap(),
                    id.map(|id| AuditId::parse(id).unwrap()),
                )
            }),
            user_id: user_id.map(|u| AuditId::parse(u).unwrap()),
            action: action.map(|a| ActionName::parse(a).unwrap()),
        }
    }

    #[test]
    fn the_most_selective_key_serves_and_the_rest_filters() {
        let cases = [
            (
                filter(Some(("workflow", Some("w-1"))), Some("u-1"), Some("a.b")),
                Target::Partition(TABLE, "ENTITY#workflow#w-1".into()),
                vec![("user_id", "u-1"), ("action", "a.b")],
            ),
            (
                filter(Some(("workflow", None)), Some("u-1"), Some("a.b")),
                Target::Partition(BY_ACTOR, "ACTOR#u-1".into()),
                vec![("action", "a.b"), ("entity", "workflow")],
            ),
            (
                filter(Some(("workflow", None)), None, Some("a.b")),
                Target::Partition(BY_ACTION, "ACTION#a.b".into()),
                vec![("entity", "workflow")],
            ),
            (
                filter(Some(("workflow", None)), None, None),
                Target::Partition(BY_KIND, "ENTITY#workflow".into()),
                vec![],
            ),
            (filter(None, None, None), Target::Days, vec![]),
        ];
        for (filter, target, rest) in cases {
            let (actual, filters) = filter.target();
            assert_eq!(actual, target, "{filter:?}");
            let filters: Vec<(&str, &str)> =
                filters.iter().map(|(a, v)| (*a, v.as_str())).collect();
            assert_eq!(filters, rest, "{filter:?}");
        }
    }

    #[test]
    fn the_indexes_are_the_schema_s() {
        assert_eq!(
            [BY_ACTOR, BY_ACTION, BY_KIND, BY_DAY].map(|s| s.index),
            [Some("gsi1"), Some("gsi2"), Some("gsi3"), Some("gsi4")]
        );
        assert_eq!(BY_DAY.partition, "gsi4pk");
        assert_eq!(BY_DAY.sort, "gsi4sk");
    }

    #[test]
    fn bounds_include_every_record_of_their_millisecond_and_no_other() {
        let at = datetime!(2026-11-22 09:15:02.041 UTC);
        let key = |t: OffsetDateTime| {
            format!(
                "{}#0193b2a4-0000-7000-8000-0000000000ad",
                clock::sortable(t)
            )
        };
        assert!(lower_bound(at) <= key(at) && key(at) <= upper_bound(at));
        let earlier = at - Duration::milliseconds(1);
        let later = at + Duration::milliseconds(1);
        assert!(key(earlier) < lower_bound(at));
        assert!(key(later) > upper_bound(at));
        // A `from` inside a millisecond starts at the next one.
        let inside = at + Duration::microseconds(500);
        assert!(key(at) < lower_bound(inside));
        assert!(key(later) >= lower_bound(inside));
    }

    #[test]
    fn the_day_walk_defaults_to_thirty_days_before_now() {
        let now = datetime!(2026-11-22 09:15:02 UTC);
        let walk = Walk::begin(&AuditQuery::default(), None, now)
            .unwrap()
            .unwrap();
        assert_eq!(walk.partition, "DAY#2026-11-22");
        assert_eq!(
            walk.days,
            Some((
                time::macros::date!(2026 - 11 - 22),
                time::macros::date!(2026 - 10 - 23)
            ))
        );
        assert!(walk.start.is_none());
    }

    #[test]
    fn a_day_walk_resumes_in_its_window_from_either_kind_of_position() {
        let now = datetime!(2026-11-22 09:15:02 UTC);
        let query = AuditQuery::default();
        let mut walk = Walk::begin(&query, None, now).unwrap().unwrap();
        assert!(walk.previous_day());
        let fresh = walk.here();
        let later = now + Duration::days(3);
        let resumed = Walk::begin(&query, Some(fresh), later).unwrap().unwrap();
        assert_eq!(resumed, walk, "the window stays the first page's");

        let item: Item = [
            ("pk", "ENTITY#user#u-1"),
            ("sk", "2026-11-20T08:00:00.000Z#e-1"),
            ("gsi4pk", "DAY#2026-11-20"),
            ("gsi4sk", "2026-11-20T08:00:00.000Z#e-1"),
            ("action", "user.updated"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), s(v)))
        .collect();
        let after = walk.after(&item);
        assert!(!after.contains_key("action"));
        let resumed = Walk::begin(&query, Some(after), later).unwrap().unwrap();
        assert_eq!(resumed.partition, "DAY#2026-11-20");
        assert_eq!(
            resumed.start.as_ref().map(|k| k.len()),
            Some(4),
            "the key alone"
        );
    }

    #[test]
    fn an_empty_window_reads_nothing() {
        let now = datetime!(2026-11-22 09:15:02 UTC);
        let future = AuditQuery {
            from: Some(now + Duration::days(1)),
            ..AuditQuery::default()
        };
        assert_eq!(Walk::begin(&future, None, now).unwrap(), None);
        let reversed = AuditQuery {
            filter: filter(None, Some("u-1"), None),
            from: Some(now),
            to: Some(now - Duration::seconds(1)),
        };
        assert_eq!(Walk::begin(&reversed, None, now).unwrap(), None);
    }

    #[test]
    fn scopes_tell_filters_apart_even_when_values_look_alike() {
        let a = AuditQuery {
            filter: filter(Some(("user", Some("x\",\"user_id\":\"y"))), None, None),
            ..AuditQuery::default()
        };
        let b = AuditQuery {
            filter: filter(Some(("user", Some("x"))), Some("y"), None),
            ..AuditQuery::default()
        };
        assert_ne!(a.scope(), b.scope());
        let bounded = AuditQuery {
            to: Some(datetime!(2026-11-22 09:15:02 UTC)),
            ..b.clone()
        };
        assert_ne!(b.scope(), bounded.scope());
    }
}
