//! Paged reads: one partition newest first ([`Store::query_page`]), and
//! several partitions merged by sort key ([`Store::query_merged`]). A page
//! never skips an item: `next` is `None` exactly when nothing follows, and a
//! merged page stops at the nearest unfinished partition's frontier.

use super::expr::with_placeholders;
use super::{classify, s, schema, string_attribute, Expr, Item, Store, StoreError};

/// One page of a `Query` on a partition, newest (highest sort key) first.
#[derive(Debug)]
pub struct PageQuery {
    /// `None` for the table itself, or an index name from `schema::INDEXES`.
    pub index: Option<&'static str>,
    pub partition_attribute: &'static str,
    pub partition: String,
    pub limit: i32,
    pub start: Option<Item>,
}

impl Store {
    /// Runs a page query. It asks for one item more than the page so that
    /// `next` is `None` exactly when nothing follows; `next` is the key of
    /// the page's last item (table and index key attributes).
    #[tracing::instrument(skip(self, query), fields(table = %self.table, index = ?query.index))]
    pub async fn query_page(
        &self,
        query: PageQuery,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let output = self
            .client()
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.map(str::to_owned))
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", query.partition_attribute)
            .expression_attribute_values(":pk", s(query.partition))
            .scan_index_forward(false)
            .limit(query.limit + 1)
            .set_exclusive_start_key(query.start)
            .send()
            .await
            .map_err(|e| classify(e, "Query"))?;
        let mut items = output.items.unwrap_or_default();
        let limit = usize::try_from(query.limit).unwrap_or(0);
        if items.len() <= limit {
            return Ok((items, None));
        }
        items.truncate(limit);
        let mut key_attributes = vec!["pk", "sk"];
        if let Some((_, pk, sk)) = schema::INDEXES
            .iter()
            .find(|(name, _, _)| Some(*name) == query.index)
        {
            key_attributes.extend([*pk, *sk]);
        }
        let next = items.last().map(|last| {
            key_attributes
                .iter()
                .filter_map(|name| last.get(*name).map(|v| ((*name).to_owned(), v.clone())))
                .collect()
        });
        Ok((items, next))
    }
}

impl Store {
    /// A page of entities listed by [`Keys::listed`](super::Keys::listed)
    /// or [`Keys::by_pk`](super::Keys::by_pk), newest first: among all of
    /// their kind (`gsi1pk = all`), or with `by` among those of one value
    /// (`gsi2pk = by`: a role, a status, a state).
    pub async fn page_listed<T: serde::de::DeserializeOwned>(
        &self,
        all: &str,
        by: Option<String>,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<T>, Option<Item>), StoreError> {
        let (index, partition_attribute, partition) = match by {
            None => ("gsi1", "gsi1pk", all.to_owned()),
            Some(by) => ("gsi2", "gsi2pk", by),
        };
        let query = PageQuery {
            index: Some(index),
            partition_attribute,
            partition,
            limit,
            start,
        };
        let (items, next) = self.query_page(query).await?;
        let records = items
            .into_iter()
            .map(super::from_item)
            .collect::<Result<_, _>>()?;
        Ok((records, next))
    }
}

/// One partition of a [`Store::query_merged`] listing: a key on the table
/// or an index whose sort keys share a prefix.
#[derive(Debug, Clone)]
pub struct Partition {
    pub index: Option<&'static str>,
    pub partition_attribute: &'static str,
    pub sort_attribute: &'static str,
    pub partition: String,
}

/// The sort keys a listing reads, both ends included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortRange {
    pub low: String,
    pub high: String,
}

impl SortRange {
    /// Every sort key that starts with `prefix`.
    pub fn prefix(prefix: &str) -> Self {
        Self {
            low: prefix.to_owned(),
            high: format!("{prefix}\u{10FFFF}"),
        }
    }
}

/// How many `Query` rounds a partition may take to fill a filtered page.
const MAX_ROUNDS: usize = 8;

/// One partition's share of a merged page: its matches (newest first) and
/// how far down it was read (`None`: to its end).
struct Share {
    matches: Vec<(String, Item)>,
    frontier: Option<String>,
}

/// Which sort keys of a partition [`Store::query_partition`] reads.
#[derive(Debug, Clone, Copy)]
pub struct SortCondition<'a> {
    /// A key condition on `sk` naming its value `:v`: `sk <= :v`,
    /// `begins_with(sk, :v)`.
    pub condition: &'a str,
    pub value: &'a str,
}

impl Store {
    /// Every item of partition `pk` (the table's key) whose sort key meets
    /// `sort` (none: all of them), read to the partition's end, as `T`. For
    /// partitions that stay small (a detector's findings, a window's
    /// tally); a listing pages instead ([`Store::query_merged`]).
    pub async fn query_partition<T: serde::de::DeserializeOwned>(
        &self,
        pk: &str,
        sort: Option<SortCondition<'_>>,
        consistent: bool,
    ) -> Result<Vec<T>, StoreError> {
        let condition = match &sort {
            Some(sort) => format!("pk = :pk AND {}", sort.condition),
            None => "pk = :pk".to_owned(),
        };
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(&condition)
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(consistent)
                .set_exclusive_start_key(start);
            if let Some(sort) = &sort {
                query = query.expression_attribute_values(":v", s(sort.value));
            }
            let output = query.send().await.map_err(|e| classify(e, "Query"))?;
            for item in output.items.unwrap_or_default() {
                found.push(super::from_item::<T>(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    /// A page of items from one or more partitions, merged by sort key
    /// (highest first when `descending`, else lowest first): every partition
    /// is read from just past `after` (a sort key; the whole prefix when
    /// `None`) with `filter` applied, in rounds until it has more than
    /// `limit` matches or ends. The page holds only items before every
    /// unfinished partition's frontier, so nothing is skipped; the returned
    /// sort key resumes the listing (`None` at the end). An item found in
    /// two partitions appears once.
    pub async fn query_merged(
        &self,
        partitions: &[Partition],
        prefix: &'static str,
        filter: Option<&Expr>,
        limit: usize,
        after: Option<&str>,
        descending: bool,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let range = SortRange::prefix(prefix);
        self.query_range(partitions, &range, filter, limit, after, descending)
            .await
    }

    /// [`Store::query_merged`] over the sort keys within `range` (both ends
    /// included) rather than a whole prefix.
    #[tracing::instrument(skip(self, partitions, filter), fields(table = %self.table, partitions = partitions.len()))]
    pub async fn query_range(
        &self,
        partitions: &[Partition],
        range: &SortRange,
        filter: Option<&Expr>,
        limit: usize,
        after: Option<&str>,
        descending: bool,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let shares =
            futures::future::try_join_all(partitions.iter().map(|partition| {
                self.read_share(partition, range, filter, limit, after, descending)
            }))
            .await?;
        let frontiers = shares.iter().filter_map(|s| s.frontier.clone());
        let cut = if descending {
            frontiers.max()
        } else {
            frontiers.min()
        };
        let before_cut = |sort: &String| match &cut {
            None => true,
            Some(cut) if descending => sort >= cut,
            Some(cut) => sort <= cut,
        };
        let mut candidates: Vec<(String, Item)> = shares
            .into_iter()
            .flat_map(|share| share.matches)
            .filter(|(sort, _)| before_cut(sort))
            .collect();
        if descending {
            candidates.sort_by(|a, b| b.0.cmp(&a.0));
        } else {
            candidates.sort_by(|a, b| a.0.cmp(&b.0));
        }
        candidates.dedup_by(|a, b| a.0 == b.0);
        if candidates.len() > limit {
            candidates.truncate(limit);
            let next = candidates.last().map(|(sort, _)| sort.clone());
            return Ok((candidates.into_iter().map(|(_, item)| item).collect(), next));
        }
        Ok((candidates.into_iter().map(|(_, item)| item).collect(), cut))
    }

    async fn read_share(
        &self,
        partition: &Partition,
        range: &SortRange,
        filter: Option<&Expr>,
        limit: usize,
        after: Option<&str>,
        descending: bool,
    ) -> Result<Share, StoreError> {
        // Past `after` within the range: below it when descending, above
        // it when ascending.
        let (low, high) = match after {
            Some(after) if descending => (range.low.as_str(), after.min(range.high.as_str())),
            Some(after) => (after.max(range.low.as_str()), range.high.as_str()),
            None => (range.low.as_str(), range.high.as_str()),
        };
        let mut matches = Vec::new();
        let mut start: Option<Item> = None;
        for _ in 0..MAX_ROUNDS {
            if low > high {
                break;
            }
            let mut query = self
                .client()
                .query()
                .table_name(&self.table)
                .set_index_name(partition.index.map(str::to_owned))
                .expression_attribute_names("#pk", partition.partition_attribute)
                .expression_attribute_names("#sk", partition.sort_attribute)
                .expression_attribute_values(":pk", s(&partition.partition))
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
                .expression_attribute_values(":low", s(low))
                .expression_attribute_values(":high", s(high))
                .scan_index_forward(!descending)
                .consistent_read(partition.index.is_none())
                .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            if let Some(filter) = filter {
                query = query.filter_expression(&filter.text);
                query = with_placeholders!(query, filter);
            }
            let output = query.send().await.map_err(|e| classify(e, "Query"))?;
            for item in output.items.unwrap_or_default() {
                let sort = string_attribute(&item, partition.sort_attribute);
                if Some(sort.as_str()) != after {
                    matches.push((sort, item));
                }
            }
            start = output.last_evaluated_key;
            if matches.len() > limit || start.is_none() {
                break;
            }
        }
        let frontier = if matches.len() > limit {
            matches.truncate(limit + 1);
            matches.last().map(|(sort, _)| sort.clone())
        } else {
            start.map(|key| string_attribute(&key, partition.sort_attribute))
        };
        Ok(Share { matches, frontier })
    }
}
