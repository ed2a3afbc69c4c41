//! `workflows`: admins design workflows (name, description, ordered
//! approval steps) and move them `DRAFT → ACTIVE → ARCHIVED`; everyone
//! signed in can list and read the active ones, which approvals are filed
//! against. Steps are fixed once a workflow is active, and so is
//! `allow_same_approver_across_steps` (false by default: a person decides
//! at most one step of a request). A workflow with pending approvals
//! cannot be deleted.

use crate::api::views::{step_view, StepView};
use crate::api::{idempotency, paged};
use crate::auth::Principal;
use crate::clock;
use crate::domain::workflow::{parse_steps, StepInput};
use crate::domain::{Description, EntityId, Step, WorkflowName, WorkflowStatus};
use crate::error::{ApiError, ApiResult, Validator};
use crate::events::{Actor, Envelope};
use crate::http::{
    check_version, dispatch, json, no_content, only_query_params, parse_json, path_param,
    query_param, with_etag, RequestMeta, DEFAULT_BODY_LIMIT,
};
use crate::permissions;
use crate::store::workflows::WorkflowStore;
use crate::store::workflows::{list_scope, WorkflowRecord};
use crate::store::StoreError;
use crate::App;
use http::header::{HeaderValue, LOCATION};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    dispatch(&app.cors, req, |meta, req| route(app, meta, req)).await
}

async fn route(app: &App, meta: RequestMeta, req: Request) -> ApiResult<Response<Body>> {
    let principal = app.authenticate(&req).await?;
    match meta.route_key.as_str() {
        "GET /workflows" => list(app, &principal, &req).await,
        "POST /workflows" => {
            principal.require(permissions::WORKFLOWS_MANAGE)?;
            let scope = format!("workflows-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                create(app, &principal, &meta, &req)
            })
            .await
        }
        "GET /workflows/{id}" => get(app, &principal, &req).await,
        "PATCH /workflows/{id}" => patch(app, &principal, &meta, &req).await,
        "DELETE /workflows/{id}" => delete(app, &principal, &meta, &req).await,
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

#[derive(Debug, Serialize)]
struct WorkflowView {
    id: String,
    name: String,
    description: String,
    status: WorkflowStatus,
    steps: Vec<StepView>,
    allow_same_approver_across_steps: bool,
    created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    version: u64,
}

fn view(record: &WorkflowRecord) -> WorkflowView {
    WorkflowView {
        id: record.id.to_string(),
        name: record.name.as_str().to_owned(),
        description: record.description.as_str().to_owned(),
        status: record.status,
        steps: record.steps.iter().map(step_view).collect(),
        allow_same_approver_across_steps: record.allow_same_approver_across_steps,
        created_by: record.created_by.to_string(),
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    }
}

pub fn view_value(record: &WorkflowRecord) -> serde_json::Value {
    serde_json::to_value(view(record)).unwrap_or_default()
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such workflow".into())
}

/// The workflow of `/workflows/{id}`, if the caller may see it: admins see
/// every workflow, others only active ones.
async fn visible(app: &App, principal: &Principal, req: &Request) -> ApiResult<WorkflowRecord> {
    let id = EntityId::parse(path_param(req, "id")?).map_err(|_| not_found())?;
    let record = app.store.workflow_by_id(&id).await?.ok_or_else(not_found)?;
    if record.status != WorkflowStatus::Active && !principal.can(permissions::WORKFLOWS_READ_ALL) {
        return Err(not_found());
    }
    Ok(record)
}

async fn list(app: &App, principal: &Principal, req: &Request) -> ApiResult<Response<Body>> {
    only_query_params(req, &["status", "limit", "cursor"])?;
    let status = match query_param(req, "status")? {
        Some(raw) => {
            Some(WorkflowStatus::parse(raw).map_err(|m| ApiError::invalid_field("status", m))?)
        }
        None => None,
    };
    let status = if principal.can(permissions::WORKFLOWS_READ_ALL) {
        status
    } else {
        match status {
            None | Some(WorkflowStatus::Active) => Some(WorkflowStatus::Active),
            Some(_) => {
                return Err(ApiError::Forbidden(
                    "only admins can list draft or archived workflows".into(),
                ))
            }
        }
    };
    let scope = list_scope(status);
    paged(
        app,
        req,
        &scope,
        |limit, start| app.store.list_workflows(status, limit, start),
        view,
    )
    .await
}

async fn get(app: &App, principal: &Principal, req: &Request) -> ApiResult<Response<Body>> {
    let record = visible(app, principal, req).await?;
    Ok(with_etag(
        json(StatusCode::OK, &view(&record))?,
        record.version,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    description: Option<String>,
    #[serde(default)]
    steps: Vec<StepInput>,
    #[serde(default)]
    allow_same_approver_across_steps: bool,
}

/// Records every bad step with its path.
fn check_steps(v: &mut Validator, inputs: Vec<StepInput>) -> Option<Vec<Step>> {
    match parse_steps(inputs) {
        Ok(steps) => Some(steps),
        Err(errors) => {
            for (field, message) in errors {
                v.push(&field, message);
            }
            None
        }
    }
}

async fn create(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiResult<Response<Body>> {
    let body: CreateBody = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let name = v.check("name", WorkflowName::parse(&body.name));
    let description = v
        .check_opt(
            "description",
            body.description.as_deref(),
            Description::parse,
        )
        .unwrap_or_default();
    let steps = check_steps(&mut v, body.steps);
    v.finish()?;
    let (Some(name), Some(steps)) = (name, steps) else {
        return Err(ApiError::internal("validated input went missing"));
    };
    let mut record = WorkflowRecord::new(name, description, steps, principal.user_id, clock::now());
    record.allow_same_approver_across_steps = body.allow_same_approver_across_steps;
    let event = Envelope::new(
        "workflow.created",
        "workflow",
        record.id,
        Actor::from(principal),
        &meta.correlation_id,
        view_value(&record),
    );
    app.store.create_workflow(&record, &event).await?;
    let mut response = with_etag(json(StatusCode::CREATED, &view(&record))?, record.version);
    if let Ok(location) = HeaderValue::from_str(&format!("/workflows/{}", record.id)) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    name: Option<String>,
    description: Option<String>,
    status: Option<String>,
    steps: Option<Vec<StepInput>>,
    allow_same_approver_across_steps: Option<bool>,
    version: Option<u64>,
}

fn conflict_on_stale(error: StoreError) -> ApiError {
    match error {
        StoreError::ConditionFailed => {
            ApiError::Conflict("the workflow was changed concurrently; reload and retry".into())
        }
        other => other.into(),
    }
}

async fn patch(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiResult<Response<Body>> {
    principal.require(permissions::WORKFLOWS_MANAGE)?;
    let mut record = visible(app, principal, req).await?;
    let body: PatchBody = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    if body.name.is_none()
        && body.description.is_none()
        && body.status.is_none()
        && body.steps.is_none()
        && body.allow_same_approver_across_steps.is_none()
    {
        v.push(
            "body",
            "give at least one of name, description, status, steps, allow_same_approver_across_steps",
        );
    }
    let name = v.check_opt("name", body.name.as_deref(), WorkflowName::parse);
    let description = v.check_opt(
        "description",
        body.description.as_deref(),
        Description::parse,
    );
    let status = v.check_opt("status", body.status.as_deref(), WorkflowStatus::parse);
    let steps = body.steps.and_then(|inputs| check_steps(&mut v, inputs));
    v.finish()?;
    check_version(req, body.version, record.version, "workflow")?;

    if record.status == WorkflowStatus::Archived {
        return Err(ApiError::Conflict(
            "an archived workflow cannot change".into(),
        ));
    }
    let before = record.clone();
    if let Some(steps) = steps {
        if record.status != WorkflowStatus::Draft {
            return Err(ApiError::Conflict(
                "steps can only change while the workflow is a DRAFT".into(),
            ));
        }
        record.steps = steps;
    }
    if let Some(allow) = body.allow_same_approver_across_steps {
        if record.status != WorkflowStatus::Draft {
            return Err(ApiError::Conflict(
                "allow_same_approver_across_steps can only change while the workflow is a DRAFT"
                    .into(),
            ));
        }
        record.allow_same_approver_across_steps = allow;
    }
    if let Some(name) = name {
        record.name = name;
    }
    if let Some(description) = description {
        record.description = description;
    }
    if let Some(to) = status {
        record.status = record.status.transition(to).map_err(ApiError::Conflict)?;
        if record.status == WorkflowStatus::Active && record.steps.is_empty() {
            return Err(ApiError::invalid_field(
                "steps",
                "an active workflow needs at least one step",
            ));
        }
    }

    let event_type = match (before.status, record.status) {
        (WorkflowStatus::Draft, WorkflowStatus::Active) => "workflow.activated",
        (_, WorkflowStatus::Archived) if before.status != WorkflowStatus::Archived => {
            "workflow.archived"
        }
        _ => "workflow.updated",
    };
    let mut event = Envelope::new(
        event_type,
        "workflow",
        record.id,
        Actor::from(principal),
        &meta.correlation_id,
        serde_json::Value::Null,
    );
    if before.name != record.name {
        event = event.change("name", before.name.as_str(), record.name.as_str());
    }
    if before.description != record.description {
        event = event.change(
            "description",
            before.description.as_str(),
            record.description.as_str(),
        );
    }
    if before.status != record.status {
        event = event.change("status", before.status, record.status);
    }
    if before.allow_same_approver_across_steps != record.allow_same_approver_across_steps {
        event = event.change(
            "allow_same_approver_across_steps",
            before.allow_same_approver_across_steps,
            record.allow_same_approver_across_steps,
        );
    }
    if before.steps != record.steps {
        let old: Vec<StepView> = before.steps.iter().map(step_view).collect();
        let new: Vec<StepView> = record.steps.iter().map(step_view).collect();
        event = event.change("steps", old, new);
    }
    let now = clock::now();
    let mut after = record.clone();
    after.version += 1;
    after.updated_at = now;
    event.data = view_value(&after);
    app.store
        .update_workflow(&mut record, now, &event)
        .await
        .map_err(conflict_on_stale)?;
    Ok(with_etag(
        json(StatusCode::OK, &view(&record))?,
        record.version,
    ))
}

async fn delete(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiResult<Response<Body>> {
    principal.require(permissions::WORKFLOWS_MANAGE)?;
    let record = visible(app, principal, req).await?;
    check_version(req, None, record.version, "workflow")?;
    let event = Envelope::new(
        "workflow.deleted",
        "workflow",
        record.id,
        Actor::from(principal),
        &meta.correlation_id,
        view_value(&record),
    );
    let (tx, deletion) = app.store.deletion(&record, &event)?;
    match app.store.commit(tx).await {
        Err(error) if error.failed(deletion.no_pending) => Err(ApiError::Conflict(
            "the workflow has pending approvals; decide or cancel them first".into(),
        )),
        Err(error) if error.failed(deletion.workflow) => {
            Err(conflict_on_stale(StoreError::ConditionFailed))
        }
        Err(error) => Err(conflict_on_stale(error)),
        Ok(()) => no_content(),
    }
}
