//! The jobs module's use cases: the only writer of jobs. Each move of a
//! job follows [`transition`], commits with its event (whose
//! `changes.status` the stats dashboard counts), and only over the
//! version it read, so two writers never both move one job.

use crate::domain::{backoff, legal_from, transition, JobData, JobStatus, JobType, Priority, Step};
use crate::events::{self, Actor, Envelope};
use crate::store::{JobRecord, JobStore, Store, StoreError};
use crate::view::job_data;
use opsflow_platform::clock;
use opsflow_platform::domain::EntityId;
use opsflow_platform::error::ApiError;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

/// Why a jobs use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// 404: no such job.
    #[error("no such job")]
    NotFound,
    /// 409: the job's status does not allow the move.
    #[error("the job is {status}; this needs a job that is {allowed}")]
    Illegal { status: JobStatus, allowed: String },
    /// 409: the job has no report to download (yet).
    #[error("{0}")]
    NoReport(String),
    /// 409: the job changed since it was read.
    #[error("the job was changed concurrently; reload and retry")]
    Stale,
    /// The store failed (its own status: 409, 503 or 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<JobsError> for ApiError {
    fn from(error: JobsError) -> Self {
        match error {
            JobsError::NotFound => ApiError::NotFound(error.to_string()),
            JobsError::Illegal { .. } | JobsError::NoReport(_) | JobsError::Stale => {
                ApiError::Conflict(error.to_string())
            }
            JobsError::Store(error) => error.into(),
        }
    }
}

/// A job as it is asked for, its `data` already checked against its type.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub job_type: JobType,
    pub data: JobData,
    pub priority: Priority,
    pub delay: Duration,
}

/// Who asks for a job and in which chain of events.
#[derive(Debug, Clone)]
pub struct Origin {
    pub actor: Actor,
    /// A user's id, or `rule:<id>`.
    pub created_by: String,
    pub correlation_id: String,
    pub depth: u32,
}

fn event(
    event_type: &str,
    actor: Actor,
    before: Option<JobStatus>,
    record: &JobRecord,
) -> Envelope {
    let mut event = Envelope::new(
        event_type,
        events::JOB,
        record.id,
        actor,
        &record.correlation_id,
        job_data(record),
    )
    .change("status", before, Some(record.status));
    event.depth = record.depth;
    event
}

fn moved(record: &JobRecord, step: Step) -> Result<JobStatus, JobsError> {
    transition(record.status, step).ok_or_else(|| JobsError::Illegal {
        status: record.status,
        allowed: legal_from(step)
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" or "),
    })
}

fn stale_on_condition(error: StoreError) -> JobsError {
    match error {
        StoreError::ConditionFailed => JobsError::Stale,
        other => JobsError::Store(other),
    }
}

/// Job `id`.
pub async fn job(store: &Store, id: &EntityId) -> Result<JobRecord, JobsError> {
    store.job_by_id(id).await?.ok_or(JobsError::NotFound)
}

/// Queues a new job with id `id` (new, or derived by a rule's action so
/// that a repeat finds it: `Stale`).
pub async fn create(
    store: &Store,
    origin: Origin,
    id: EntityId,
    new: NewJob,
) -> Result<JobRecord, JobsError> {
    let now = clock::now();
    let record = JobRecord {
        id,
        job_type: new.job_type,
        data: new.data,
        priority: new.priority,
        status: JobStatus::Queued,
        attempts: 0,
        max_attempts: crate::domain::MAX_ATTEMPTS,
        progress: 0,
        result: None,
        last_error: None,
        run_at: now + new.delay,
        created_by: origin.created_by,
        correlation_id: origin.correlation_id,
        depth: origin.depth,
        checkpoint: None,
        processed: 0,
        created_at: now,
        updated_at: now,
        started_at: None,
        finished_at: None,
        version: 1,
    };
    let event = event(events::JOB_QUEUED, origin.actor, None, &record);
    store
        .create_job(&record, &event)
        .await
        .map_err(stale_on_condition)?;
    Ok(record)
}

/// Moves `record` (as read) along `step` with `change`, and commits it
/// with its event.
async fn commit(
    store: &Store,
    actor: Actor,
    record: &JobRecord,
    step: Step,
    event_type: &str,
    change: impl FnOnce(&mut JobRecord, OffsetDateTime),
) -> Result<JobRecord, JobsError> {
    let status = moved(record, step)?;
    let now = clock::now();
    let mut after = record.clone();
    after.status = status;
    change(&mut after, now);
    after.version += 1;
    after.updated_at = now;
    let event = event(event_type, actor, Some(record.status), &after);
    store
        .replace_job(record.version, &after, Some(&event))
        .await
        .map_err(stale_on_condition)?;
    Ok(after)
}

/// Cancels a queued job.
pub async fn cancel(
    store: &Store,
    actor: Actor,
    record: &JobRecord,
) -> Result<JobRecord, JobsError> {
    commit(
        store,
        actor,
        record,
        Step::Cancel,
        events::JOB_CANCELLED,
        |job, now| {
            job.finished_at = Some(now);
        },
    )
    .await
}

/// Queues a failed job again, due now, with its attempts starting over
/// (page-by-page work resumes where it stopped).
pub async fn retry(
    store: &Store,
    actor: Actor,
    record: &JobRecord,
) -> Result<JobRecord, JobsError> {
    commit(
        store,
        actor,
        record,
        Step::Retry,
        events::JOB_QUEUED,
        |job, now| {
            job.attempts = 0;
            job.run_at = now;
            job.finished_at = None;
        },
    )
    .await
}

/// Deletes a job that is not running.
pub async fn delete(store: &Store, actor: Actor, record: &JobRecord) -> Result<(), JobsError> {
    if record.status == JobStatus::Running {
        return Err(JobsError::Illegal {
            status: record.status,
            allowed: "queued, completed, failed or cancelled".into(),
        });
    }
    let mut event = Envelope::new(
        events::JOB_DELETED,
        events::JOB,
        record.id,
        actor,
        &record.correlation_id,
        job_data(record),
    )
    .change("status", Some(record.status), None::<JobStatus>);
    event.depth = record.depth;
    store
        .delete_job(record, &event)
        .await
        .map_err(stale_on_condition)
}

/// The worker starts an attempt of a queued job.
pub async fn start(store: &Store, record: &JobRecord) -> Result<JobRecord, JobsError> {
    commit(
        store,
        Actor::system(),
        record,
        Step::Start,
        events::JOB_STARTED,
        |job, now| {
            job.attempts += 1;
            job.started_at = Some(now);
            job.last_error = None;
        },
    )
    .await
}

/// The worker puts back a running job that cannot run yet (what it waits
/// for is not ready), due again after `wait`; the attempt does not count.
pub async fn postpone(
    store: &Store,
    record: &JobRecord,
    reason: &str,
    wait: Duration,
) -> Result<JobRecord, JobsError> {
    let reason = reason.to_owned();
    commit(
        store,
        Actor::system(),
        record,
        Step::Fail {
            attempts_left: true,
        },
        events::JOB_QUEUED,
        |job, now| {
            job.attempts = job.attempts.saturating_sub(1);
            job.last_error = Some(reason);
            job.run_at = now + wait;
        },
    )
    .await
}

/// The worker records how far a running job got (no event: progress moves
/// no status).
pub async fn checkpoint(
    store: &Store,
    record: &mut JobRecord,
    processed: u64,
    checkpoint: Option<String>,
    progress: u8,
) -> Result<(), JobsError> {
    let mut after = record.clone();
    after.processed = processed;
    after.checkpoint = checkpoint;
    after.progress = progress.min(100);
    after.version += 1;
    after.updated_at = clock::now();
    store
        .replace_job(record.version, &after, None)
        .await
        .map_err(stale_on_condition)?;
    *record = after;
    Ok(())
}

/// The worker completes a running job with what it produced.
pub async fn complete(
    store: &Store,
    record: &JobRecord,
    result: Value,
) -> Result<JobRecord, JobsError> {
    let result = JobData::parse(result).ok();
    commit(
        store,
        Actor::system(),
        record,
        Step::Complete,
        events::JOB_COMPLETED,
        |job, now| {
            job.result = result;
            job.progress = 100;
            job.finished_at = Some(now);
        },
    )
    .await
}

/// The worker records a failed attempt: queued again after [`backoff`]
/// while attempts are left and the failure may pass, else `failed`.
pub async fn fail(
    store: &Store,
    record: &JobRecord,
    error: &str,
    may_pass: bool,
) -> Result<JobRecord, JobsError> {
    let attempts_left = may_pass && record.attempts < record.max_attempts;
    let error: String = error.chars().take(1000).collect();
    let event_type = if attempts_left {
        events::JOB_QUEUED
    } else {
        events::JOB_FAILED
    };
    let next = record.attempts + 1;
    commit(
        store,
        Actor::system(),
        record,
        Step::Fail { attempts_left },
        event_type,
        |job, now| {
            job.last_error = Some(error);
            if attempts_left {
                job.run_at = now + backoff(next);
            } else {
                job.finished_at = Some(now);
            }
        },
    )
    .await
}
