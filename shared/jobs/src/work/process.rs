//! `process-data`: a change (a status, metadata merged in) applied to
//! every item a filter selects, page by page in creation order. After each
//! page the job records where it got to, so another attempt resumes from
//! there; an item already as asked is skipped, so a page done twice (an
//! attempt that stopped before its checkpoint) changes nothing twice and
//! emits no second event.

use super::Failure;
use crate::pipeline::Worker;
use crate::service;
use crate::store::JobRecord;
use opsflow_items::domain::{fold_case, ItemStatus, Metadata, Search, SortBy, SortOrder};
use opsflow_items::service::{Fields, ItemFilter, ItemsError, Work};
use opsflow_items::store::ItemRecord;
use opsflow_platform::events::Actor;
use serde_json::{json, Map, Value};

/// Items changed per page (and per checkpoint).
const PAGE: usize = 25;

/// How each selected item changes.
#[derive(Debug, Clone)]
pub struct Change {
    pub set_status: Option<ItemStatus>,
    pub merge_metadata: Option<Map<String, Value>>,
}

impl Change {
    /// The fields to set on `item`, or `None` when it is already as asked;
    /// a merge that would take the metadata past its bounds is an error
    /// naming the item.
    fn fields(&self, item: &ItemRecord) -> Result<Option<Fields>, Failure> {
        let mut fields = Fields::default();
        if let Some(status) = self.set_status.filter(|s| *s != item.status) {
            fields.status = Some(status);
        }
        if let Some(merge) = &self.merge_metadata {
            let mut metadata = item
                .metadata
                .as_value()
                .as_object()
                .cloned()
                .unwrap_or_default();
            let before = metadata.clone();
            for (key, value) in merge {
                metadata.insert(key.clone(), value.clone());
            }
            if metadata != before {
                let merged = Metadata::parse(Value::Object(metadata)).map_err(|why| {
                    Failure::lasting(format!("item {}: the merged metadata {why}", item.id))
                })?;
                fields.metadata = Some(merged);
            }
        }
        Ok((fields.status.is_some() || fields.metadata.is_some()).then_some(fields))
    }
}

pub async fn run(
    worker: &Worker,
    job: &mut JobRecord,
    status: Option<ItemStatus>,
    search: Option<Search>,
    change: &Change,
) -> Result<Value, Failure> {
    let filter = ItemFilter {
        status,
        search,
        sort: SortBy::CreatedAt,
        order: SortOrder::Asc,
    };
    let work = Work {
        actor: Actor {
            id: format!("job:{}", job.id),
            role: "system".into(),
        },
        correlation_id: job.correlation_id.clone(),
        depth: job.depth,
    };
    // Changed by this attempt; `processed` counts across attempts.
    let mut changed = 0u64;
    loop {
        let after = job.checkpoint.clone();
        let (page, next) =
            opsflow_items::service::list(&worker.store, &filter, PAGE, after.as_deref())
                .await
                .map_err(|e| Failure::passing(format!("the items: {e}")))?;
        for item in &page {
            if apply(worker, &work, &filter, change, item).await? {
                changed += 1;
            }
        }
        let processed = job.processed + page.len() as u64;
        service::checkpoint(&worker.store, job, processed, next.clone(), 0).await?;
        if next.is_none() {
            return Ok(json!({"matched": job.processed, "changed": changed}));
        }
    }
}

/// Changes one item if it still matches and is not yet as asked; whether
/// it changed it.
async fn apply(
    worker: &Worker,
    work: &Work,
    filter: &ItemFilter,
    change: &Change,
    item: &ItemRecord,
) -> Result<bool, Failure> {
    let mut item = item.clone();
    // An item changed by someone else between the read and the write is
    // read again; twice in a row is left to the next attempt.
    for _ in 0..2 {
        let Some(fields) = change.fields(&item)? else {
            return Ok(false);
        };
        match opsflow_items::service::update_as(&worker.store, work, &item, fields).await {
            Ok(_) => return Ok(true),
            Err(ItemsError::Stale) => match opsflow_items::service::item(&worker.store, &item.id)
                .await
            {
                Ok(fresh) if matches(filter, &fresh) => item = fresh,
                // Changed so that the job no longer selects it.
                Ok(_) => return Ok(false),
                Err(ItemsError::NotFound) => return Ok(false),
                Err(error) => return Err(Failure::passing(format!("item {}: {error}", item.id))),
            },
            Err(error) => return Err(Failure::passing(format!("item {}: {error}", item.id))),
        }
    }
    Err(Failure::passing(format!("item {} keeps changing", item.id)))
}

/// Whether `item` is one that `filter` selects.
fn matches(filter: &ItemFilter, item: &ItemRecord) -> bool {
    filter.status.is_none_or(|status| status == item.status)
        && filter
            .search
            .as_ref()
            .is_none_or(|search| fold_case(item.name.as_str()).contains(search.as_str()))
}
