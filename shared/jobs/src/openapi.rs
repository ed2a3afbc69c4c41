//! The OpenAPI description of the `jobs` function's routes, built from
//! the request types of [`crate::api`] and the views of [`crate::view`];
//! the domain's named values (a job's type and status) are given schemas
//! here, each listing its type's `ALL`. `infra/openapi` merges it into
//! `docs/openapi.json`.
//!
//! Invariant: one operation per route of the function in `template.yaml`,
//! each answering exactly the statuses its handler can (401, 503 and 500
//! are added by the kernel's `finish`): every route is an admin's (403
//! for anyone else, before anything else); an id that is not a UUID or
//! names no job is 404; a malformed body, query, `If-Match` or
//! `Idempotency-Key` is 400, a body over 64 KiB 413, a body that is not
//! JSON 415, invalid values (a `data` its `type` does not take, an
//! `Idempotency-Key` reused for another body) 422; a job whose status does
//! not allow the move (retry: `failed` only; cancel: `queued` only;
//! delete: any but `running`), a download of what is not a completed
//! report, a lost race or a busy idempotency key is 409; a stale
//! `If-Match` 412.

use crate::api::{CleanJobs, CreateJob};
use crate::domain::{JobData, JobStatus, JobType, MAX_DELAY_SECONDS};
use crate::reports::DOWNLOAD_TTL;
use crate::view::{JobView, ReportDownloadView};
use opsflow_platform::http::Page;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdPath, IdempotencyKey, IfMatch, NotFound, PageParams,
    PayloadTooLarge, PreconditionFailed, Unprocessable, UnsupportedMediaType,
};
use utoipa::openapi::{RefOr, Required};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_jobs,
    create_job,
    clean_jobs,
    get_job,
    delete_job,
    retry_job,
    cancel_job,
    download_job_report,
))]
struct Routes;

/// The description of the module's routes.
pub fn doc() -> utoipa::openapi::OpenApi {
    let mut doc = Routes::openapi();
    // The body of `POST /clean` may be left out (its one field has a
    // default). utoipa only marks a body optional when it is an `Option`,
    // whose schema would also offer `null`, which the handler refuses.
    let clean = doc.paths.paths.get_mut("/api/v1/jobs/clean");
    if let Some(RefOr::T(body)) = clean
        .and_then(|item| item.post.as_mut())
        .and_then(|operation| operation.request_body.as_mut())
    {
        body.required = Some(Required::False);
    }
    doc
}

// `JobKind`, not `JobType`: the automation module's schema of a rule's
// `enqueue_job` action already has that name (any job-type-shaped text,
// checked by this module only when the rule runs), and merged documents
// keep the first schema of a name.
opsflow_platform::named_values! {
    JobType as "JobKind" => "What a job does (its `type`); its `data` is checked against it.",
    JobStatus as "JobStatus" => "Where a job stands: `queued` → `running` → `completed`, \
                                 or `queued` again after a failed attempt, or `failed` after \
                                 the last one; `queued` → `cancelled` (cancel); `failed` → \
                                 `queued` (retry).",
}

// The bounds the request types document are the domain's.
const _: () = assert!(MAX_DELAY_SECONDS == 2_592_000);
const _: () = assert!(JobData::MAX_BYTES == 16 * 1024);
const _: () = assert!(DOWNLOAD_TTL.as_secs() == 300);

/// List jobs
///
/// Admins only. Every job, newest first: those in one `status`, of one
/// `type`, or both. Any other query parameter is 400.
#[utoipa::path(
    get,
    path = "/api/v1/jobs",
    operation_id = "listJobs",
    tag = "jobs",
    security(("bearer" = [])),
    params(
        ("status" = Option<JobStatus>, Query, description = "Only jobs in this status."),
        ("type" = Option<JobType>, Query, description = "Only jobs of this type."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of jobs.", body = Page<JobView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_jobs() {}

/// Queue a job
///
/// Admins only. The job is `queued`, due after `delay_seconds` (default
/// 0), with 3 attempts; `data` is checked against `type`, each bad field
/// named (`data.to[0]`): a `generate-report` takes `report` (`items` with
/// `status`?, or `approvals` with `status`?, `from`?, `to`?) and
/// `format` (`csv` or `json`); a `send-notification` `to` (1–50
/// addresses) and `template` (`plain` with `subject` and `text`, or
/// `report-ready` with `report_job_id`); a `process-data` `status`?,
/// `search`? and `set_status` and/or `merge_metadata`; a `cleanup`
/// `older_than_days` (1–3650) and `targets` (`items`, `jobs`).
#[utoipa::path(
    post,
    path = "/api/v1/jobs",
    operation_id = "createJob",
    tag = "jobs",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = CreateJob, example = json!({
        "type": "generate-report",
        "data": {"report": "approvals", "status": "APPROVED", "format": "csv"},
        "priority": 7
    })),
    responses(
        (status = 201, description = "Queued.", body = JobView,
            headers(
                ("location" = String, description = "`/api/v1/jobs/{id}`"),
                ("etag" = String, description = "The version, quoted (`\"1\"`)."),
                ("idempotent-replayed" = String,
                    description = "`true` when this is the first response to the same \
                                   `Idempotency-Key` again."),
            )),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn create_job() {}

/// Clean up finished jobs
///
/// Admins only. Queues a `cleanup` job that removes the finished jobs
/// (`completed`, `failed`, `cancelled`) created at least `older_than_days`
/// ago (default 30), in pages; the body may be left out.
#[utoipa::path(
    post,
    path = "/api/v1/jobs/clean",
    operation_id = "cleanJobs",
    tag = "jobs",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = CleanJobs, example = json!({"older_than_days": 90})),
    responses(
        (status = 202, description = "The `cleanup` job, queued.", body = JobView,
            headers(
                ("location" = String, description = "`/api/v1/jobs/{id}`"),
                ("etag" = String, description = "The version, quoted (`\"1\"`)."),
                ("idempotent-replayed" = String,
                    description = "`true` when this is the first response to the same \
                                   `Idempotency-Key` again."),
            )),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn clean_jobs() {}

/// Get a job
///
/// Admins only: the job with its attempts, progress, result and last
/// error.
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}",
    operation_id = "getJob",
    tag = "jobs",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 200, description = "The job.", body = JobView, headers(
            ("etag" = String, description = "The version, quoted (`\"3\"`)."),
        )),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_job() {}

/// Delete a job
///
/// Admins only. Any job but a `running` one (409: its work may be half
/// done). A stale `If-Match` is 412.
#[utoipa::path(
    delete,
    path = "/api/v1/jobs/{id}",
    operation_id = "deleteJob",
    tag = "jobs",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    )
)]
#[allow(dead_code)]
fn delete_job() {}

/// Retry a job
///
/// Admins only. A `failed` job is queued again, due now, its attempts
/// starting over (page-by-page work resumes where it stopped); a job in
/// any other status is 409. A stale `If-Match` is 412.
#[utoipa::path(
    post,
    path = "/api/v1/jobs/{id}/retry",
    operation_id = "retryJob",
    tag = "jobs",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    responses(
        (status = 200, description = "The job, `queued` again.", body = JobView,
            headers(("etag" = String, description = "The new version, quoted."))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    )
)]
#[allow(dead_code)]
fn retry_job() {}

/// Cancel a job
///
/// Admins only. A `queued` job is `cancelled` and never runs; a job in
/// any other status is 409. A stale `If-Match` is 412.
#[utoipa::path(
    post,
    path = "/api/v1/jobs/{id}/cancel",
    operation_id = "cancelJob",
    tag = "jobs",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    responses(
        (status = 200, description = "The job, `cancelled`.", body = JobView,
            headers(("etag" = String, description = "The new version, quoted."))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    )
)]
#[allow(dead_code)]
fn cancel_job() {}

/// Download a job's report
///
/// Admins only. A link to a `completed` `generate-report` job's report,
/// valid for five minutes; a report not completed yet, or a job of
/// another type, is 409.
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}/download",
    operation_id = "downloadJobReport",
    tag = "jobs",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 200, description = "The report's download link.", body = ReportDownloadView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[allow(dead_code)]
fn download_job_report() {}
