//! `cleanup`: removes archived items last changed, and finished jobs
//! created, at least `older_than_days` ago, in pages of [`PAGE`], each
//! through its module's service (so each removal is an event like any
//! other). Items come first, then jobs; the checkpoint (`items:<key>` or
//! `jobs:<key>`) lets another attempt resume where one stopped.

use super::Failure;
use crate::pipeline::Worker;
use crate::service;
use crate::store::{JobRecord, JobStore};
use opsflow_items::domain::{ItemStatus, SortBy, SortOrder};
use opsflow_items::service::{ItemFilter, ItemsError, Work};
use opsflow_platform::clock;
use opsflow_platform::events::Actor;
use serde_json::{json, Value};
use time::Duration;

const PAGE: usize = 25;

pub async fn run(
    worker: &Worker,
    job: &mut JobRecord,
    older_than_days: u32,
    items: bool,
    jobs: bool,
) -> Result<Value, Failure> {
    let cutoff = clock::now() - Duration::days(i64::from(older_than_days));
    let actor = Actor {
        id: format!("job:{}", job.id),
        role: "system".into(),
    };
    let work = Work {
        actor: actor.clone(),
        correlation_id: job.correlation_id.clone(),
        depth: job.depth,
    };
    // Counted by this attempt; `processed` counts across attempts.
    let (mut items_removed, mut jobs_removed) = (0u64, 0u64);
    if items
        && !job
            .checkpoint
            .as_deref()
            .is_some_and(|c| c.starts_with("jobs:"))
    {
        let filter = ItemFilter {
            status: Some(ItemStatus::Archived),
            search: None,
            sort: SortBy::UpdatedAt,
            order: SortOrder::Asc,
        };
        loop {
            let after = job
                .checkpoint
                .as_deref()
                .and_then(|c| c.strip_prefix("items:"))
                .map(str::to_owned);
            let (page, next) =
                opsflow_items::service::list(&worker.store, &filter, PAGE, after.as_deref())
                    .await
                    .map_err(|e| Failure::passing(format!("the items: {e}")))?;
            let old: Vec<_> = page
                .iter()
                .take_while(|item| item.updated_at < cutoff)
                .collect();
            let finished = old.len() < page.len() || next.is_none();
            for item in &old {
                match opsflow_items::service::delete_as(&worker.store, &work, item).await {
                    Ok(()) => items_removed += 1,
                    // Gone, or changed since (and so no longer as old).
                    Err(ItemsError::NotFound | ItemsError::Stale) => {}
                    Err(error) => {
                        return Err(Failure::passing(format!("item {}: {error}", item.id)))
                    }
                }
            }
            let resume = if finished {
                Some("jobs:".to_owned())
            } else {
                next.map(|n| format!("items:{n}"))
            };
            let processed = job.processed + old.len() as u64;
            service::checkpoint(&worker.store, job, processed, resume, 0).await?;
            if finished {
                break;
            }
        }
    }
    if jobs {
        loop {
            let after = job
                .checkpoint
                .as_deref()
                .and_then(|c| c.strip_prefix("jobs:"))
                .filter(|a| !a.is_empty())
                .map(str::to_owned);
            let (page, next) = worker
                .store
                .finished_jobs_before(cutoff, PAGE, after.as_deref())
                .await?;
            for old in page
                .iter()
                .filter(|j| j.id != job.id && j.finished_at.is_some_and(|f| f < cutoff))
            {
                match service::delete(&worker.store, actor.clone(), old).await {
                    Ok(()) => jobs_removed += 1,
                    Err(service::JobsError::Stale | service::JobsError::NotFound) => {}
                    Err(error) => return Err(Failure::passing(format!("job {}: {error}", old.id))),
                }
            }
            let processed = job.processed + page.len() as u64;
            let resume = next.as_ref().map(|n| format!("jobs:{n}"));
            service::checkpoint(
                &worker.store,
                job,
                processed,
                resume.or(Some("jobs:".into())),
                0,
            )
            .await?;
            if next.is_none() {
                break;
            }
        }
    }
    Ok(json!({"items_removed": items_removed, "jobs_removed": jobs_removed}))
}
