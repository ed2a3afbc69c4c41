//! Jobs.
//!
//! Access patterns:
//! - job by id: `GetItem pk=JOB#<id>, sk=JOB`
//! - a page of jobs of one status, newest first: `Query gsi1
//!   gsi1pk=JOBS#STATUS#<status>` (`gsi1sk=JOB#<id>`: ids are UUIDv7, so
//!   that is creation order)
//! - of one type and status: `Query gsi2 gsi2pk=JOBS#<type>#<status>`
//! - of one type, or of any: the five status partitions of `gsi2` (or
//!   `gsi1`) read together and merged by sort key ([`Store::query_merged`])
//! - finished jobs created before a time, oldest first (`cleanup`): the
//!   `completed`, `failed` and `cancelled` partitions of `gsi1`, ascending,
//!   read until the first job created at or after it.
//!
//! Both index keys move with the job's status in the same write as the
//! job itself (they are attributes of its item), so a listing never shows
//! a job in a status it has left.

use super::{from_item, Entity, Keys, Partition, Store, StoreError, StoreFuture};
use crate::domain::{JobData, JobStatus, JobType, Priority};
use crate::events::Envelope;
use opsflow_platform::domain::EntityId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

const JOB_SK: &str = "JOB";
/// The sort-key prefix of both indexes.
const SORT_PREFIX: &str = "JOB#";

pub fn job_pk(id: &EntityId) -> String {
    format!("JOB#{id}")
}

fn status_pk(status: JobStatus) -> String {
    format!("JOBS#STATUS#{status}")
}

fn type_status_pk(job_type: JobType, status: JobStatus) -> String {
    format!("JOBS#{job_type}#{status}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: EntityId,
    pub job_type: JobType,
    /// What the job is asked to do (checked against its type when it was
    /// created: [`crate::spec`]).
    pub data: JobData,
    pub priority: Priority,
    pub status: JobStatus,
    /// Attempts started so far.
    pub attempts: u32,
    pub max_attempts: u32,
    /// 0–100.
    pub progress: u8,
    /// What a completed job produced (a report's object key, …).
    #[serde(default)]
    pub result: Option<JobData>,
    #[serde(default)]
    pub last_error: Option<String>,
    /// When the job is due (again).
    #[serde(with = "time::serde::rfc3339")]
    pub run_at: OffsetDateTime,
    /// Who asked for it: a user's id, or `rule:<id>` for a rule's
    /// `enqueue_job`.
    pub created_by: String,
    pub correlation_id: String,
    /// The event depth of the job's events (one more than a rule's
    /// triggering event's).
    #[serde(default)]
    pub depth: u32,
    /// Where page-by-page work resumes (a listing's sort key), and how
    /// many entries it has done so far.
    #[serde(default)]
    pub checkpoint: Option<String>,
    #[serde(default)]
    pub processed: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    pub version: u64,
}

impl Entity for JobRecord {
    const TYPE: &'static str = "job";

    fn keys(&self) -> Keys {
        let sort = job_pk(&self.id);
        Keys::table(job_pk(&self.id), JOB_SK)
            .gsi1(status_pk(self.status), sort.clone())
            .gsi2(type_status_pk(self.job_type, self.status), sort)
    }
}

/// What a listing of jobs shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub job_type: Option<JobType>,
}

fn partitions(filter: JobFilter) -> Vec<Partition> {
    let statuses = filter
        .status
        .map_or_else(|| JobStatus::ALL.to_vec(), |status| vec![status]);
    statuses
        .into_iter()
        .map(|status| match filter.job_type {
            Some(job_type) => Partition {
                index: Some("gsi2"),
                partition_attribute: "gsi2pk",
                sort_attribute: "gsi2sk",
                partition: type_status_pk(job_type, status),
            },
            None => Partition {
                index: Some("gsi1"),
                partition_attribute: "gsi1pk",
                sort_attribute: "gsi1sk",
                partition: status_pk(status),
            },
        })
        .collect()
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait JobStore {
    fn job_by_id(&self, id: &EntityId) -> impl StoreFuture<Option<JobRecord>>;

    /// Stores a new job with its event; `ConditionFailed` when its id is
    /// taken (a rule's repeated `enqueue_job`).
    fn create_job(&self, record: &JobRecord, event: &Envelope) -> impl StoreFuture<()>;

    /// Replaces the job stored at version `expected` with `after` (and
    /// its event, if any): `ConditionFailed` when it moved on.
    fn replace_job(
        &self,
        expected: u64,
        after: &JobRecord,
        event: Option<&Envelope>,
    ) -> impl StoreFuture<()>;

    /// Deletes a job still at its version, with its event.
    fn delete_job(&self, record: &JobRecord, event: &Envelope) -> impl StoreFuture<()>;

    /// A page of jobs, newest first, from just past the sort key `after`;
    /// the sort key that resumes it (`None` at the end).
    fn list_jobs(
        &self,
        filter: JobFilter,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<JobRecord>, Option<String>)>;

    /// A page of finished jobs (`completed`, `failed`, `cancelled`)
    /// created before `before`, oldest first, from just past `after`; the
    /// sort key that resumes it (`None` when no older ones are left).
    fn finished_jobs_before(
        &self,
        before: OffsetDateTime,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<JobRecord>, Option<String>)>;
}

impl JobStore for Store {
    async fn job_by_id(&self, id: &EntityId) -> Result<Option<JobRecord>, StoreError> {
        self.get(job_pk(id), JOB_SK).await
    }

    async fn create_job(&self, record: &JobRecord, event: &Envelope) -> Result<(), StoreError> {
        self.insert_with_event(record.item()?, event).await
    }

    async fn replace_job(
        &self,
        expected: u64,
        after: &JobRecord,
        event: Option<&Envelope>,
    ) -> Result<(), StoreError> {
        self.replace_versioned(after.item()?, expected, Vec::new(), event)
            .await
    }

    async fn delete_job(&self, record: &JobRecord, event: &Envelope) -> Result<(), StoreError> {
        self.delete_versioned(
            job_pk(&record.id),
            JOB_SK,
            record.version,
            Vec::new(),
            event,
        )
        .await
    }

    async fn list_jobs(
        &self,
        filter: JobFilter,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<JobRecord>, Option<String>), StoreError> {
        let (items, next) = self
            .query_merged(&partitions(filter), SORT_PREFIX, None, limit, after, true)
            .await?;
        let records = items
            .into_iter()
            .map(from_item::<JobRecord>)
            .collect::<Result<_, _>>()?;
        Ok((records, next))
    }

    async fn finished_jobs_before(
        &self,
        before: OffsetDateTime,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<JobRecord>, Option<String>), StoreError> {
        let millis = u64::try_from(before.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let bound = job_pk(&EntityId::earliest_at(millis));
        let finished: Vec<Partition> = [
            JobStatus::Completed,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ]
        .into_iter()
        .map(|status| Partition {
            index: Some("gsi1"),
            partition_attribute: "gsi1pk",
            sort_attribute: "gsi1sk",
            partition: status_pk(status),
        })
        .collect();
        let (items, next) = self
            .query_merged(&finished, SORT_PREFIX, None, limit, after, false)
            .await?;
        let mut records = Vec::new();
        for item in items {
            let record = from_item::<JobRecord>(item)?;
            if job_pk(&record.id) >= bound {
                // Everything from here on was created at or after `before`.
                return Ok((records, None));
            }
            records.push(record);
        }
        Ok((records, next))
    }
}
