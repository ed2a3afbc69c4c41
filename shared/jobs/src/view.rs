//! What clients see of a job, which is also what its events carry as
//! `data`.

use crate::store::JobRecord;
use opsflow_platform::domain::EntityId;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobView {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub id: EntityId,
    /// `process-data`, `send-notification`, `generate-report` or `cleanup`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::JobType))]
    pub job_type: &'static str,
    /// What the job was asked to do.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Value,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10))]
    pub priority: u8,
    /// `queued`, `running`, `completed`, `failed` or `cancelled`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::JobStatus))]
    pub status: &'static str,
    /// Attempts started so far (at most `max_attempts`).
    pub attempts: u32,
    pub max_attempts: u32,
    /// 0–100.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub progress: u8,
    /// Entries done so far by page-by-page work.
    pub processed: u64,
    /// What a completed job produced (a report's `key`, `rows`, …).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub result: Option<Value>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the job is due (again).
    #[serde(with = "time::serde::rfc3339")]
    pub run_at: OffsetDateTime,
    /// A user's id, or `rule:<id>` for a rule's `enqueue_job`.
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    pub version: u64,
}

pub fn job_view(record: &JobRecord) -> JobView {
    JobView {
        id: record.id,
        job_type: record.job_type.as_str(),
        data: record.data.as_value().clone(),
        priority: record.priority.get(),
        status: record.status.as_str(),
        attempts: record.attempts,
        max_attempts: record.max_attempts,
        progress: record.progress,
        processed: record.processed,
        result: record.result.as_ref().map(|r| r.as_value().clone()),
        last_error: record.last_error.clone(),
        run_at: record.run_at,
        created_by: record.created_by.clone(),
        created_at: record.created_at,
        updated_at: record.updated_at,
        started_at: record.started_at,
        finished_at: record.finished_at,
        version: record.version,
    }
}

/// A completed report's download link: the answer of
/// `GET /api/v1/jobs/{id}/download`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDownloadView {
    /// A presigned URL that downloads the report, without a token, until
    /// `expires_at`.
    pub url: String,
    /// The report's object key: `reports/<job id>.<csv|json>`.
    pub key: String,
    /// When `url` stops working: five minutes after it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// [`job_view`] as an event's `data`.
pub fn job_data(record: &JobRecord) -> Value {
    serde_json::to_value(job_view(record)).unwrap_or(Value::Null)
}
