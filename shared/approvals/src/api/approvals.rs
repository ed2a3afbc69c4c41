//! `approvals`: anyone signed in files a request against an active
//! workflow; the approvers of its current step decide it, step by step;
//! its requester may withdraw it while it is pending.
//!
//! Who sees what: admins see every approval; others see the requests they
//! filed and those whose steps name them as an approver (by role, by id,
//! or assigned by a rule's `assign`). Anything else is 404, as if it did
//! not exist.
//!
//! `PATCH /api/v1/approvals/{id}` with `{"status": "APPROVED" | "REJECTED"}` is a
//! decision on the current step (rules in [`crate::domain::approval`]):
//! not an approver of the step, the requester, or someone who approved an
//! earlier step (unless the workflow allows the same approver across
//! steps) is 403; a repeat or a final approval is 409;
//! `{"status": "CANCELLED"}` is the requester's withdrawal;
//! `{"status": "ESCALATED", "reason": …}` an approver of the current step
//! handing it up to the step's escalation approvers (403 for anyone else,
//! 409 when already escalated, final, or the step names nobody to escalate
//! to; see [`crate::domain::escalation`]). Without
//! `If-Match` or `version`, a decision that meets a concurrent one is
//! re-read and tried again while the same step is still open; with them,
//! a stale version is 412/409.

use crate::api::ApiReply;

use crate::api::{expected_version, idempotency, paged_by_key};
use crate::auth::Principal;
use crate::domain::{
    Amount, ApprovalStatus, Comment, Description, EntityId, Payload, Title, Verdict,
};
use crate::error::{ApiError, ApiResult, Validator};
use crate::http::{
    json, only_query_params, parse_json, path_param, query_param, with_etag, with_location,
    RequestMeta, DEFAULT_BODY_LIMIT,
};
use crate::permissions;
use crate::service::approvals::{self as service, NewRequest, Wanted};
use crate::store::approvals::ApprovalStore;
use crate::store::approvals::{with_risks, ApprovalFilter, ApprovalSource};
use crate::view::{approval_view as view, full_view};
use crate::Api;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

pub use crate::view::approval_value as view_value;

pub async fn handle(app: &Api, req: Request) -> Response<Body> {
    crate::api::serve(app, req, route).await
}

async fn route(app: &Api, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    match meta.route_key.as_str() {
        "GET /api/v1/approvals" => list(app, &principal, &req).await,
        "POST /api/v1/approvals" => {
            principal.require(permissions::APPROVALS_REQUEST)?;
            let scope = format!("approvals-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                create(app, &principal, &meta, &req)
            })
            .await
        }
        "GET /api/v1/approvals/{id}" => get(app, &principal, &req).await,
        "PATCH /api/v1/approvals/{id}" => {
            principal.require(permissions::APPROVALS_DECIDE)?;
            patch(app, &principal, &meta, &req).await
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such approval".into())
}

fn path_id(req: &Request) -> ApiResult<EntityId> {
    EntityId::parse(path_param(req, "id")?).map_err(|_| not_found())
}

fn id_param(req: &Request, name: &str) -> ApiResult<Option<EntityId>> {
    query_param(req, name)?
        .map(|raw| EntityId::parse(raw).map_err(|_| ApiError::invalid_field(name, "must be an id")))
        .transpose()
}

/// Chooses where a listing reads from: `assigned=me` reads the caller's
/// assignments; otherwise the narrowest key among requester, workflow and
/// status (admins), or the caller's own requests (everyone else). The
/// other filters are conditions on what it reads.
fn listing(principal: &Principal, req: &Request) -> ApiResult<(ApprovalSource, ApprovalFilter)> {
    only_query_params(
        req,
        &[
            "status",
            "workflow_id",
            "requester_id",
            "assigned",
            "limit",
            "cursor",
        ],
    )?;
    let status = query_param(req, "status")?
        .map(|raw| ApprovalStatus::parse(raw).map_err(|m| ApiError::invalid_field("status", m)))
        .transpose()?;
    let workflow_id = id_param(req, "workflow_id")?;
    let requester_id = id_param(req, "requester_id")?;
    let assigned = match query_param(req, "assigned")? {
        None => false,
        Some("me") => true,
        Some(_) => return Err(ApiError::invalid_field("assigned", "must be `me`")),
    };
    let mut filter = ApprovalFilter {
        status,
        workflow_id,
        requester_id,
    };
    if assigned {
        return Ok((
            ApprovalSource::AssignedTo(principal.user_id, principal.role),
            filter,
        ));
    }
    if !principal.can(permissions::APPROVALS_READ_ALL) {
        if requester_id.is_some_and(|id| !principal.is(&id)) {
            return Err(ApiError::Forbidden(
                "you may list only your own requests, or those assigned to you".into(),
            ));
        }
        filter.requester_id = None;
        return Ok((ApprovalSource::Requester(principal.user_id), filter));
    }
    let source = if let Some(id) = filter.requester_id.take() {
        ApprovalSource::Requester(id)
    } else if let Some(id) = filter.workflow_id.take() {
        ApprovalSource::Workflow(id)
    } else if let Some(status) = filter.status.take() {
        ApprovalSource::Status(status)
    } else {
        ApprovalSource::All
    };
    Ok((source, filter))
}

async fn list(app: &Api, principal: &Principal, req: &Request) -> ApiReply {
    let (source, filter) = listing(principal, req)?;
    let scope = format!("approvals:{source:?}:{filter:?}");
    paged_by_key(
        app,
        req,
        &scope,
        |limit, after| async move {
            let (records, next) = app
                .store
                .list_approvals(&source, &filter, limit, after.as_deref())
                .await?;
            Ok((with_risks(&app.store, records).await?, next))
        },
        view,
    )
    .await
}

async fn get(app: &Api, principal: &Principal, req: &Request) -> ApiReply {
    let (record, decisions) = service::approval_for(&app.store, principal, &path_id(req)?).await?;
    Ok(with_etag(
        json(StatusCode::OK, &full_view(&record, &decisions))?,
        record.version,
    ))
}

/// A request filed against an active workflow.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateApproval {
    /// An `ACTIVE` workflow's id (else 422).
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    workflow_id: String,
    /// 1–200 characters once trimmed, one line.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    title: String,
    /// Up to 2000 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    description: Option<String>,
    /// Free-form data: a JSON object of at most 16 KiB (compact) and 16
    /// levels; `{}` when left out.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    payload: Option<serde_json::Value>,
    /// 0 to 10¹², at most two decimals.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1e12))]
    amount: Option<f64>,
}

async fn create(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let body: CreateApproval = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let workflow_id = v.check(
        "workflow_id",
        EntityId::parse(&body.workflow_id).map_err(|_| "must be a workflow id".to_owned()),
    );
    let title = v.check("title", Title::parse(&body.title));
    let description = v
        .check_opt(
            "description",
            body.description.as_deref(),
            Description::parse,
        )
        .unwrap_or_default();
    let payload = match body.payload {
        Some(value) => v.check("payload", Payload::parse(value)),
        None => Some(Payload::empty()),
    };
    let amount = body
        .amount
        .and_then(|value| v.check("amount", Amount::parse(value)));
    v.finish()?;
    let (Some(workflow_id), Some(title), Some(payload)) = (workflow_id, title, payload) else {
        return Err(ApiError::internal("validated input went missing"));
    };
    let request = NewRequest {
        workflow_id,
        title,
        description,
        payload,
        amount,
    };
    let record = service::file(&app.store, principal, &meta.correlation_id, request).await?;
    let response = with_etag(
        json(StatusCode::CREATED, &full_view(&record, &[]))?,
        record.version,
    );
    Ok(with_location(
        response,
        &format!("/api/v1/approvals/{}", record.id),
    ))
}

/// A decision on the current step (`APPROVED`, `REJECTED`), its
/// escalation (`ESCALATED`), or the requester's withdrawal (`CANCELLED`).
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct DecideApproval {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::schemas::wanted_status))]
    status: String,
    /// The decision's (or escalation's) comment: up to 1000 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    comment: Option<String>,
    /// The same field as `comment`, under the name other approval systems
    /// send (give one of the two; both, differing, is 422).
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    reason: Option<String>,
    /// The version the change expects (stale: 409), like `If-Match`.
    version: Option<u64>,
}

/// The comment of a decision: `comment` or its other name `reason`.
fn decision_comment(v: &mut Validator, body: &DecideApproval) -> Comment {
    // A blank one says nothing: the other (if any) is the comment.
    let given = |text: &Option<String>| text.clone().filter(|t| !t.trim().is_empty());
    let (comment, reason) = (given(&body.comment), given(&body.reason));
    let (field, text) = match (&comment, &reason) {
        (Some(comment), Some(reason)) if comment.trim() != reason.trim() => {
            v.push("reason", "is another name for comment: give one of the two");
            return Comment::default();
        }
        (Some(comment), _) => ("comment", Some(comment.as_str())),
        (None, Some(reason)) => ("reason", Some(reason.as_str())),
        (None, None) => ("comment", None),
    };
    v.check_opt(field, text, Comment::parse).unwrap_or_default()
}

async fn patch(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let id = path_id(req)?;
    let body: DecideApproval = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let status = body.status.as_str();
    if !matches!(status, "APPROVED" | "REJECTED" | "CANCELLED" | "ESCALATED") {
        v.push(
            "status",
            "must be one of APPROVED, REJECTED, CANCELLED, ESCALATED",
        );
    }
    let comment = decision_comment(&mut v, &body);
    v.finish()?;
    let wanted = match status {
        "APPROVED" => Wanted::Decide(Verdict::Approved, comment),
        "REJECTED" => Wanted::Decide(Verdict::Rejected, comment),
        "ESCALATED" => Wanted::Escalate(comment),
        _ => Wanted::Cancel,
    };
    // A malformed `If-Match` on an approval the caller may not see is
    // still a 404: visibility is checked first.
    let expected = match expected_version(req, body.version) {
        Ok(expected) => expected,
        Err(error) => {
            service::approval_for(&app.store, principal, &id).await?;
            return Err(error);
        }
    };
    let (after, decisions) = service::change_status(
        &app.store,
        principal,
        &meta.correlation_id,
        &id,
        wanted,
        expected,
    )
    .await?;
    Ok(with_etag(
        json(StatusCode::OK, &full_view(&after, &decisions))?,
        after.version,
    ))
}
