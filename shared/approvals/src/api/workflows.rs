//! `workflows`: admins design workflows (name, description, ordered
//! approval steps) and move them `DRAFT → ACTIVE → ARCHIVED`; everyone
//! signed in can list and read the active ones, which approvals are filed
//! against. Steps are fixed once a workflow is active, and so is
//! `allow_same_approver_across_steps` (false by default: a person decides
//! at most one step of a request). A workflow with pending approvals
//! cannot be deleted.

use crate::api::ApiReply;

use crate::api::{expected_version, idempotency, paged, paged_by_key};
use crate::auth::Principal;
use crate::domain::workflow::{parse_steps, StepInput};
use crate::domain::{Description, EntityId, Step, WorkflowName, WorkflowStatus, WorkflowType};
use crate::error::{ApiError, ApiResult, Validator};
use crate::http::{
    json, no_content, only_query_params, parse_json, path_param, query_param, with_etag,
    with_location, RequestMeta, DEFAULT_BODY_LIMIT,
};
use crate::permissions;
use crate::service::workflows::{self as service, NewWorkflow, WorkflowChanges};
use crate::store::workflows::list_scope;
use crate::store::workflows::WorkflowStore;
use crate::view::workflow_view as view;
use crate::Api;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

pub use crate::view::workflow_value as view_value;

pub async fn handle(app: &Api, req: Request) -> Response<Body> {
    crate::api::serve(app, req, route).await
}

async fn route(app: &Api, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    match meta.route_key.as_str() {
        "GET /api/v1/workflows" => list(app, &principal, &req).await,
        "POST /api/v1/workflows" => {
            principal.require(permissions::WORKFLOWS_MANAGE)?;
            let scope = format!("workflows-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                create(app, &principal, &meta, &req)
            })
            .await
        }
        "GET /api/v1/workflows/{id}" => get(app, &principal, &req).await,
        "PATCH /api/v1/workflows/{id}" => {
            principal.require(permissions::WORKFLOWS_MANAGE)?;
            patch(app, &principal, &meta, &req, path_id(&req)?).await
        }
        "DELETE /api/v1/workflows/{id}" => {
            principal.require(permissions::WORKFLOWS_MANAGE)?;
            let id = path_id(&req)?;
            // Visibility (404) comes before a malformed `If-Match` (400).
            service::workflow_for(&app.store, &principal, &id).await?;
            let expected = expected_version(&req, None)?;
            service::delete(&app.store, &principal, &meta.correlation_id, &id, expected).await?;
            no_content()
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

fn path_id(req: &Request) -> ApiResult<EntityId> {
    EntityId::parse(path_param(req, "id")?)
        .map_err(|_| ApiError::NotFound("no such workflow".into()))
}

async fn list(app: &Api, principal: &Principal, req: &Request) -> ApiReply {
    only_query_params(req, &["status", "type", "limit", "cursor"])?;
    let of_type = query_param(req, "type")?
        .map(|raw| WorkflowType::parse(raw).map_err(|m| ApiError::invalid_field("type", m)))
        .transpose()?;
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
    if let Some(of_type) = of_type {
        let scope = format!("{}:type={}", list_scope(status), of_type.as_str());
        return paged_by_key(
            app,
            req,
            &scope,
            |limit, after| async move {
                app.store
                    .list_workflows_of_type(status, &of_type, limit, after.as_deref())
                    .await
            },
            view,
        )
        .await;
    }
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

async fn get(app: &Api, principal: &Principal, req: &Request) -> ApiReply {
    let record = service::workflow_for(&app.store, principal, &path_id(req)?).await?;
    Ok(with_etag(
        json(StatusCode::OK, &view(&record))?,
        record.version,
    ))
}

/// A new workflow: a `DRAFT` until it is activated.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateWorkflow {
    /// 1–120 characters once trimmed, one line.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    name: String,
    /// Up to 2000 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    description: Option<String>,
    /// The approval steps, in order (at most 10); activation needs one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    steps: Vec<StepInput>,
    /// Whether one person may decide several steps of a request (default
    /// `false`: a person decides at most one step of it).
    #[serde(default)]
    allow_same_approver_across_steps: bool,
    /// What kind of request it decides, in any case (kept in upper case):
    /// a letter then up to 63 letters, digits or `_`.
    #[serde(rename = "type")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^[A-Za-z][A-Za-z0-9_]{0,63}$",
            example = "HIGH_VALUE_TRANSACTION"
        )
    )]
    workflow_type: Option<String>,
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

async fn create(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let body: CreateWorkflow = parse_json(req, DEFAULT_BODY_LIMIT)?;
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
    let workflow_type = v.check_opt("type", body.workflow_type.as_deref(), WorkflowType::parse);
    v.finish()?;
    let (Some(name), Some(steps)) = (name, steps) else {
        return Err(ApiError::internal("validated input went missing"));
    };
    let new = NewWorkflow {
        name,
        description,
        steps,
        allow_same_approver_across_steps: body.allow_same_approver_across_steps,
        workflow_type,
    };
    let record = service::create(&app.store, principal, &meta.correlation_id, new).await?;
    let response = with_etag(json(StatusCode::CREATED, &view(&record))?, record.version);
    Ok(with_location(
        response,
        &format!("/api/v1/workflows/{}", record.id),
    ))
}

/// A change to a workflow: at least one of its fields besides `version`.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateWorkflow {
    /// 1–120 characters once trimmed, one line.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    name: Option<String>,
    /// Up to 2000 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    description: Option<String>,
    /// Only `DRAFT → ACTIVE → ARCHIVED` (else 409); activation needs a
    /// step (else 422).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<WorkflowStatus>))]
    status: Option<String>,
    /// Replaces the steps (at most 10); only while a `DRAFT` (else 409).
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    steps: Option<Vec<StepInput>>,
    /// Only while a `DRAFT` (else 409).
    allow_same_approver_across_steps: Option<bool>,
    /// Sets the type (not once archived); `""` removes it.
    #[serde(rename = "type")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^([A-Za-z][A-Za-z0-9_]{0,63})?$")
    )]
    workflow_type: Option<String>,
    /// The version the change expects (stale: 409), like `If-Match`.
    version: Option<u64>,
}

async fn patch(
    app: &Api,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
    id: EntityId,
) -> ApiReply {
    service::workflow_for(&app.store, principal, &id).await?;
    let body: UpdateWorkflow = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    if body.name.is_none()
        && body.description.is_none()
        && body.status.is_none()
        && body.steps.is_none()
        && body.allow_same_approver_across_steps.is_none()
        && body.workflow_type.is_none()
    {
        v.push(
            "body",
            "give at least one of name, description, status, steps, \
             allow_same_approver_across_steps, type",
        );
    }
    let workflow_type = match body.workflow_type.as_deref() {
        None => None,
        Some("") => Some(None),
        Some(text) => v.check("type", WorkflowType::parse(text)).map(Some),
    };
    let name = v.check_opt("name", body.name.as_deref(), WorkflowName::parse);
    let description = v.check_opt(
        "description",
        body.description.as_deref(),
        Description::parse,
    );
    let status = v.check_opt("status", body.status.as_deref(), WorkflowStatus::parse);
    let steps = body.steps.and_then(|inputs| check_steps(&mut v, inputs));
    v.finish()?;
    let expected = expected_version(req, body.version)?;
    let changes = WorkflowChanges {
        name,
        description,
        status,
        steps,
        allow_same_approver_across_steps: body.allow_same_approver_across_steps,
        workflow_type,
    };
    let record = service::update(
        &app.store,
        principal,
        &meta.correlation_id,
        &id,
        changes,
        expected,
    )
    .await?;
    Ok(with_etag(
        json(StatusCode::OK, &view(&record))?,
        record.version,
    ))
}
