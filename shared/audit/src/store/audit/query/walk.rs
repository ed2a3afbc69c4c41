//! The walk behind a page of the audit log: which partition is being read,
//! within which bounds, and where to go on. A page is read in `Query` round
//! trips (at most [`MAX_ROUND_TRIPS`]) until it holds one record more than
//! asked or nothing is left; the position it returns resumes exactly after
//! its last record, or where the reading stopped, so nothing is skipped.

use super::super::super::{classify, from_item, s, Item, Store, StoreError, StoreFuture};
use super::super::{day_pk, record_pk, AuditRecord};
use super::{
    day_text, format_day, lower_bound, malformed, parse_day, take_text, upper_bound, AuditQuery,
    AuditQueryStore, Source, Target, BY_DAY, DAY, DEFAULT_WINDOW, FILTERED_READ, MAX_ROUND_TRIPS,
    WINDOW_FROM, WINDOW_TO,
};
use crate::clock;
use crate::store::schema::AUDIT_INDEXES;
use aws_sdk_dynamodb::types::AttributeValue;
use time::{Date, OffsetDateTime};

/// Reading in progress: the key, the bounds, the partition being read and
/// where in it to go on.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Walk {
    pub(super) source: Source,
    pub(super) filters: Vec<(&'static str, String)>,
    pub(super) lower: Option<String>,
    pub(super) upper: Option<String>,
    pub(super) partition: String,
    /// For the day walk: the day being read, and the oldest day to read.
    pub(super) days: Option<(Date, Date)>,
    pub(super) start: Option<Item>,
}

impl Walk {
    /// Where a listing starts (`start: None`) or goes on (from a resume
    /// position this module issued). `None` when the window is empty.
    pub(super) fn begin(
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

    pub(super) fn days(
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
    pub(super) fn previous_day(&mut self) -> bool {
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
    pub(super) fn window(&self, position: &mut Item) {
        if self.days.is_some() {
            for (name, bound) in [(WINDOW_FROM, &self.lower), (WINDOW_TO, &self.upper)] {
                if let Some(bound) = bound {
                    position.insert(name.to_owned(), s(bound.clone()));
                }
            }
        }
    }

    /// The position just after `item`: its key on the table and the index.
    pub(super) fn after(&self, item: &Item) -> Item {
        let mut position: Item = ["pk", "sk", self.source.partition, self.source.sort]
            .into_iter()
            .filter_map(|name| item.get(name).map(|v| (name.to_owned(), v.clone())))
            .collect();
        self.window(&mut position);
        position
    }

    /// Where reading stopped: the last evaluated key, or the day to start.
    pub(super) fn here(&self) -> Item {
        let mut position = self.start.clone().unwrap_or_default();
        if let (None, Some((day, _))) = (&self.start, self.days) {
            position.insert(DAY.to_owned(), s(format_day(day)));
        }
        self.window(&mut position);
        position
    }
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

    async fn audit_record(&self, id: &str) -> Result<Option<AuditRecord>, StoreError> {
        let (index, partition, _) = AUDIT_INDEXES[4];
        let output = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", partition)
            .expression_attribute_values(":pk", s(record_pk(id)))
            .limit(1)
            .send()
            .await
            .map_err(|e| classify(e, "Query"))?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(from_item)
            .transpose()
    }
}

trait AuditQueryStoreInternal {
    /// One `Query` of a walk's partition.
    fn read_audit(&self, walk: &Walk, limit: usize) -> impl StoreFuture<(Vec<Item>, Option<Item>)>;
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
