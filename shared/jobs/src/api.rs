//! `jobs`: admins queue background work and follow it
//! (`/api/v1/jobs`).
//!
//! - `POST` `{type, data, priority?, delay_seconds?}` → `201` with the
//!   job, `queued` (an `Idempotency-Key` makes a retry return the first
//!   answer); `data` is checked against the type ([`crate::spec`]).
//! - `GET` lists, newest first, with `status`, `type`, `limit` (≤ 100)
//!   and `cursor`; `GET /{id}` shows one.
//! - `POST /{id}/retry` (a `failed` job), `POST /{id}/cancel` (a `queued`
//!   one), `DELETE /{id}` (any but a `running` one): `409` naming the
//!   status otherwise. Each takes `If-Match`.
//! - `GET /{id}/download`: a completed report's presigned URL, valid for
//!   five minutes.
//! - `POST /clean` `{older_than_days?}` (default 30) → `202` with a
//!   `cleanup` job that removes finished jobs created that long ago, in
//!   pages.

pub use opsflow_platform::api::*;

use crate::domain::{delay, JobData, JobStatus, JobType, Priority};
use crate::permissions;
use crate::reports::Reports;
use crate::service::{self, JobsError, NewJob, Origin};
use crate::spec::{Message, Spec};
use crate::store::jobs::JobFilter;
use crate::store::{JobRecord, JobStore};
use crate::view::{job_view, ReportDownloadView};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::error::{ApiError, ApiResult, Validator};
use opsflow_platform::events::Actor;
use opsflow_platform::http::{
    check_version, json, no_content, only_query_params, parse_json, path_param, query_param,
    with_etag, with_location, RequestMeta, DEFAULT_BODY_LIMIT,
};
use opsflow_platform::{Api, App};
use serde::Deserialize;
use serde_json::{json, Value};

/// The `jobs` function's context: an API function's and the reports
/// bucket (for download links).
pub struct Jobs {
    pub app: Api,
    pub reports: Reports,
}

impl Context for Jobs {
    async fn build(app: App, sdk: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        let reports = Reports::from_config(&app.config, sdk)?;
        Ok(Self {
            app: Api::new(app)?,
            reports,
        })
    }
}

impl AsRef<Api> for Jobs {
    fn as_ref(&self) -> &Api {
        &self.app
    }
}

pub async fn handle(jobs: &Jobs, req: Request) -> Response<Body> {
    serve(jobs, req, route).await
}

async fn route(jobs: &Jobs, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    principal.require(permissions::JOBS_MANAGE)?;
    let app = &jobs.app;
    match meta.route_key.as_str() {
        "GET /api/v1/jobs" => list(app, &req).await,
        "POST /api/v1/jobs" => {
            let scope = format!("jobs-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                create(app, &principal, &meta, &req)
            })
            .await
        }
        "POST /api/v1/jobs/clean" => {
            let scope = format!("jobs-clean#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                clean(app, &principal, &meta, &req)
            })
            .await
        }
        "GET /api/v1/jobs/{id}" => {
            let record = existing(app, &req).await?;
            shown(StatusCode::OK, &record)
        }
        "GET /api/v1/jobs/{id}/download" => download(jobs, &req).await,
        "POST /api/v1/jobs/{id}/retry" => {
            let record = current(app, &req).await?;
            let after = service::retry(&app.store, Actor::from(&principal), &record).await?;
            shown(StatusCode::OK, &after)
        }
        "POST /api/v1/jobs/{id}/cancel" => {
            let record = current(app, &req).await?;
            let after = service::cancel(&app.store, Actor::from(&principal), &record).await?;
            shown(StatusCode::OK, &after)
        }
        "DELETE /api/v1/jobs/{id}" => {
            let record = current(app, &req).await?;
            service::delete(&app.store, Actor::from(&principal), &record).await?;
            no_content()
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

async fn existing(app: &Api, req: &Request) -> ApiResult<JobRecord> {
    let id =
        EntityId::parse(path_param(req, "id")?).map_err(|_| ApiError::from(JobsError::NotFound))?;
    Ok(service::job(&app.store, &id).await?)
}

/// Job `{id}`, at the version the request's `If-Match` names (if any).
async fn current(app: &Api, req: &Request) -> ApiResult<JobRecord> {
    let record = existing(app, req).await?;
    check_version(req, None, record.version, "job")?;
    Ok(record)
}

fn shown(status: StatusCode, record: &JobRecord) -> ApiReply {
    Ok(with_etag(json(status, &job_view(record))?, record.version))
}

async fn list(app: &Api, req: &Request) -> ApiReply {
    only_query_params(req, &["status", "type", "limit", "cursor"])?;
    let parsed = |name: &'static str| query_param(req, name);
    let filter = JobFilter {
        status: parsed("status")?
            .map(|raw| JobStatus::parse(raw).map_err(|m| ApiError::invalid_field("status", m)))
            .transpose()?,
        job_type: parsed("type")?
            .map(|raw| JobType::parse(raw).map_err(|m| ApiError::invalid_field("type", m)))
            .transpose()?,
    };
    let scope = format!("jobs:{filter:?}");
    paged_by_key(
        app,
        req,
        &scope,
        |limit, after| async move { app.store.list_jobs(filter, limit, after.as_deref()).await },
        job_view,
    )
    .await
}

/// A new job.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateJob {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::JobType))]
    job_type: String,
    /// What the job is to do: its fields depend on `type` (see the jobs
    /// guide); a JSON object of at most 16 KiB.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    data: Value,
    /// 1–10, default 5; 7 and up go to the high-priority queue.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10))]
    priority: Option<i64>,
    /// Seconds before the job is first due (0 to 30 days).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 2592000))]
    delay_seconds: Option<i64>,
}

fn origin(principal: &Principal, meta: &RequestMeta) -> Origin {
    Origin {
        actor: Actor::from(principal),
        created_by: principal.user_id.to_string(),
        correlation_id: meta.correlation_id.clone(),
        depth: 0,
    }
}

async fn create(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let body: CreateJob = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let job_type = v.check("type", JobType::parse(&body.job_type));
    let priority = match body.priority {
        None => Some(Priority::DEFAULT),
        Some(p) => v.check("priority", Priority::parse(p)),
    };
    let delay = v.check("delay_seconds", delay(body.delay_seconds.unwrap_or(0)));
    let data = v.check("data", JobData::parse(body.data.clone()));
    let spec = match (job_type, &data) {
        (Some(job_type), Some(data)) => crate::spec::check(job_type, data.as_value(), &mut v),
        _ => None,
    };
    if let Some(Spec::SendNotification {
        message: Message::ReportReady { report_job_id },
        ..
    }) = &spec
    {
        let report = app.store.job_by_id(report_job_id).await?;
        if !report.is_some_and(|r| r.job_type == JobType::GenerateReport) {
            v.push("data.report_job_id", "names no generate-report job");
        }
    }
    v.finish()?;
    let (Some(job_type), Some(priority), Some(delay), Some(data), Some(_)) =
        (job_type, priority, delay, data, spec)
    else {
        return Err(ApiError::invalid_field(
            "data",
            "is not valid for this type",
        ));
    };
    let new = NewJob {
        job_type,
        data,
        priority,
        delay,
    };
    let record = service::create(&app.store, origin(principal, meta), EntityId::new(), new).await?;
    let reply = shown(StatusCode::CREATED, &record)?;
    Ok(with_location(reply, &format!("/api/v1/jobs/{}", record.id)))
}

/// What `POST /api/v1/jobs/clean` removes.
#[derive(Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct CleanJobs {
    /// Finished jobs created at least this many days ago (1–3650,
    /// default 30).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3650))]
    older_than_days: Option<i64>,
}

async fn clean(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let body: CleanJobs = if req.body().is_empty() {
        CleanJobs::default()
    } else {
        parse_json(req, DEFAULT_BODY_LIMIT)?
    };
    let data = json!({
        "older_than_days": body.older_than_days.unwrap_or(30),
        "targets": ["jobs"],
    });
    crate::spec::parse(JobType::Cleanup, &data).map_err(|_| {
        ApiError::invalid_field("older_than_days", "must be an integer from 1 to 3650")
    })?;
    let new = NewJob {
        job_type: JobType::Cleanup,
        data: JobData::parse(data).map_err(|m| ApiError::invalid_field("older_than_days", m))?,
        priority: Priority::DEFAULT,
        delay: time::Duration::ZERO,
    };
    let record = service::create(&app.store, origin(principal, meta), EntityId::new(), new).await?;
    let reply = shown(StatusCode::ACCEPTED, &record)?;
    Ok(with_location(reply, &format!("/api/v1/jobs/{}", record.id)))
}

async fn download(jobs: &Jobs, req: &Request) -> ApiReply {
    let record = existing(&jobs.app, req).await?;
    let expired = record
        .finished_at
        .is_some_and(|at| at + crate::reports::KEPT_FOR < opsflow_platform::clock::now());
    if expired {
        return Err(JobsError::NoReport(format!(
            "the report has expired (reports are kept {} days)",
            crate::reports::KEPT_FOR.whole_days()
        ))
        .into());
    }
    let key = match (&record.job_type, record.status, &record.result) {
        (JobType::GenerateReport, JobStatus::Completed, Some(result)) => result
            .as_value()
            .get("key")
            .and_then(Value::as_str)
            .map(str::to_owned),
        (JobType::GenerateReport, status, _) => {
            return Err(JobsError::NoReport(format!(
                "the report is not ready: the job is {status}"
            ))
            .into())
        }
        _ => return Err(JobsError::NoReport("the job makes no report".into()).into()),
    }
    .ok_or_else(|| JobsError::NoReport("the job's result names no report".into()))?;
    let url = jobs
        .reports
        .download_url(&key)
        .await
        .map_err(ApiError::Internal)?;
    let expires_at = opsflow_platform::clock::now() + crate::reports::DOWNLOAD_TTL;
    json(
        StatusCode::OK,
        &ReportDownloadView {
            url,
            key,
            expires_at,
        },
    )
}
