//! `approvals`: anyone signed in files a request against an active
//! workflow; the approvers of its current step decide it, step by step;
//! its requester may withdraw it while it is pending.
//!
//! Who sees what: admins see every approval; others see the requests they
//! filed and those whose steps name them as an approver (by role, by id,
//! or assigned by a rule's `assign`). Anything else is 404, as if it did
//! not exist.
//!
//! `PATCH /approvals/{id}` with `{"status": "APPROVED" | "REJECTED"}` is a
//! decision on the current step (rules in [`crate::domain::approval`]):
//! not an approver of the step, the requester, or someone who approved an
//! earlier step (unless the workflow allows the same approver across
//! steps) is 403; a repeat or a final approval is 409;
//! `{"status": "CANCELLED"}` is the requester's withdrawal. Without
//! `If-Match` or `version`, a decision that meets a concurrent one is
//! re-read and tried again while the same step is still open; with them,
//! a stale version is 412/409.

use crate::api::views::{step_view, StepView};
use crate::api::{idempotency, paged_by_key};
use crate::auth::Principal;
use crate::clock;
use crate::domain::approval::{self, Outcome, Refusal};
use crate::domain::{
    Amount, ApprovalStatus, Comment, Description, EntityId, Payload, Title, Verdict, WorkflowStatus,
};
use crate::error::{ApiError, ApiResult, Validator};
use crate::events::{Actor, Envelope};
use crate::http::{
    check_version, dispatch, json, only_query_params, parse_json, path_param, query_param,
    with_etag, RequestMeta, DEFAULT_BODY_LIMIT,
};
use crate::permissions;
use crate::store::approvals::ApprovalStore;
use crate::store::approvals::{
    ApprovalFilter, ApprovalRecord, ApprovalSource, DecisionRecord, NewApproval,
};
use crate::store::transaction::Item;
use crate::store::workflows::WorkflowStore;
use crate::store::StoreError;
use crate::App;
use http::header::{HeaderValue, LOCATION};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::OffsetDateTime;

/// How often a decision is tried against fresh state when others decide
/// the same approval at the same moment.
const MAX_ATTEMPTS: usize = 5;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    dispatch(&app.cors, req, |meta, req| route(app, meta, req)).await
}

async fn route(app: &App, meta: RequestMeta, req: Request) -> ApiResult<Response<Body>> {
    let principal = app.authenticate(&req).await?;
    match meta.route_key.as_str() {
        "GET /approvals" => list(app, &principal, &req).await,
        "POST /approvals" => {
            principal.require(permissions::APPROVALS_REQUEST)?;
            let scope = format!("approvals-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                create(app, &principal, &meta, &req)
            })
            .await
        }
        "GET /approvals/{id}" => get(app, &principal, &req).await,
        "PATCH /approvals/{id}" => patch(app, &principal, &meta, &req).await,
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

#[derive(Debug, Serialize)]
struct DecisionView {
    step: usize,
    step_name: String,
    approver_id: String,
    approver_role: String,
    decision: Verdict,
    comment: String,
    #[serde(with = "time::serde::rfc3339")]
    decided_at: OffsetDateTime,
}

#[derive(Debug, Serialize)]
struct ApprovalView {
    id: String,
    workflow_id: String,
    workflow_name: String,
    title: String,
    description: String,
    payload: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<f64>,
    status: ApprovalStatus,
    steps: Vec<StepView>,
    /// The step being decided (its index), while pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    current_step: Option<usize>,
    step_approvals: Vec<String>,
    /// Copied from the workflow: whether one person may decide several
    /// steps.
    allow_same_approver_across_steps: bool,
    requester_id: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    decided_at: Option<OffsetDateTime>,
    version: u64,
    /// The decision history (single-approval responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    decisions: Option<Vec<DecisionView>>,
}

fn decision_view(decision: &DecisionRecord) -> DecisionView {
    DecisionView {
        step: decision.step,
        step_name: decision.step_name.clone(),
        approver_id: decision.approver_id.to_string(),
        approver_role: decision.approver_role.to_string(),
        decision: decision.verdict,
        comment: decision.comment.as_str().to_owned(),
        decided_at: decision.decided_at,
    }
}

fn view(record: &ApprovalRecord) -> ApprovalView {
    ApprovalView {
        id: record.id.to_string(),
        workflow_id: record.workflow_id.to_string(),
        workflow_name: record.workflow_name.as_str().to_owned(),
        title: record.title.as_str().to_owned(),
        description: record.description.as_str().to_owned(),
        payload: record.payload.as_value().clone(),
        amount: record.amount.map(Amount::value),
        status: record.status,
        steps: record.steps.iter().map(step_view).collect(),
        current_step: (!record.status.is_final()).then_some(record.current_step),
        step_approvals: record
            .step_approvals
            .iter()
            .map(ToString::to_string)
            .collect(),
        allow_same_approver_across_steps: record.allow_same_approver_across_steps,
        requester_id: record.requester_id.to_string(),
        created_at: record.created_at,
        updated_at: record.updated_at,
        decided_at: record.decided_at,
        version: record.version,
        decisions: None,
    }
}

fn full_view(record: &ApprovalRecord, decisions: &[DecisionRecord]) -> ApprovalView {
    ApprovalView {
        decisions: Some(decisions.iter().map(decision_view).collect()),
        ..view(record)
    }
}

pub fn view_value(record: &ApprovalRecord) -> serde_json::Value {
    serde_json::to_value(view(record)).unwrap_or_default()
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such approval".into())
}

/// Whether the caller may see an approval: admins, its requester, the
/// approvers its steps name, and whoever decided it.
fn may_see(principal: &Principal, record: &ApprovalRecord, decisions: &[DecisionRecord]) -> bool {
    principal.can(permissions::APPROVALS_READ_ALL)
        || principal.is(&record.requester_id)
        || record.names_approver(&principal.user_id, principal.role)
        || decisions.iter().any(|d| principal.is(&d.approver_id))
}

/// Whether the caller may see the approval `id` (used by the audit log's
/// visibility rules). An id that is not an approval's is not visible.
pub async fn visible_to(app: &App, principal: &Principal, id: &str) -> ApiResult<bool> {
    let Ok(id) = EntityId::parse(id) else {
        return Ok(false);
    };
    Ok(match app.store.approval_with_decisions(&id).await? {
        Some((record, decisions)) => may_see(principal, &record, &decisions),
        None => false,
    })
}

/// The approval of `/approvals/{id}` and its decisions, if the caller may
/// see it.
async fn visible(
    app: &App,
    principal: &Principal,
    id: &EntityId,
) -> ApiResult<(ApprovalRecord, Vec<DecisionRecord>)> {
    let (record, decisions) = app
        .store
        .approval_with_decisions(id)
        .await?
        .ok_or_else(not_found)?;
    if !may_see(principal, &record, &decisions) {
        return Err(not_found());
    }
    Ok((record, decisions))
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

async fn list(app: &App, principal: &Principal, req: &Request) -> ApiResult<Response<Body>> {
    let (source, filter) = listing(principal, req)?;
    let scope = format!("approvals:{source:?}:{filter:?}");
    paged_by_key(
        app,
        req,
        &scope,
        |limit, after| async move {
            app.store
                .list_approvals(&source, &filter, limit, after.as_deref())
                .await
        },
        view,
    )
    .await
}

async fn get(app: &App, principal: &Principal, req: &Request) -> ApiResult<Response<Body>> {
    let (record, decisions) = visible(app, principal, &path_id(req)?).await?;
    Ok(with_etag(
        json(StatusCode::OK, &full_view(&record, &decisions))?,
        record.version,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    workflow_id: String,
    title: String,
    description: Option<String>,
    payload: Option<serde_json::Value>,
    amount: Option<f64>,
}

async fn create(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiResult<Response<Body>> {
    let body: CreateBody = parse_json(req, DEFAULT_BODY_LIMIT)?;
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
    let workflow = app
        .store
        .workflow_by_id(&workflow_id)
        .await?
        .filter(|w| w.status == WorkflowStatus::Active)
        .ok_or_else(|| ApiError::invalid_field("workflow_id", "must name an active workflow"))?;
    let record = ApprovalRecord::new(
        NewApproval {
            workflow_id,
            workflow_name: workflow.name,
            steps: workflow.steps,
            title,
            description,
            payload,
            amount,
            requester_id: principal.user_id,
            allow_same_approver_across_steps: workflow.allow_same_approver_across_steps,
        },
        clock::now(),
    );
    let event = Envelope::new(
        "approval.created",
        "approval",
        record.id,
        Actor::from(principal),
        &meta.correlation_id,
        view_value(&record),
    )
    .change("status", serde_json::Value::Null, record.status);
    let (tx, filing) = app.store.filing(&record, &event)?;
    match app.store.commit(tx).await {
        Err(error) if error.failed(filing.workflow_active) => {
            return Err(ApiError::Conflict(
                "the workflow stopped being active; file against an active one".into(),
            ))
        }
        other => other?,
    }
    let mut response = with_etag(
        json(StatusCode::CREATED, &full_view(&record, &[]))?,
        record.version,
    );
    if let Ok(location) = HeaderValue::from_str(&format!("/approvals/{}", record.id)) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    status: String,
    comment: Option<String>,
    version: Option<u64>,
}

/// What a `PATCH` asks for.
#[derive(Debug, Clone, Copy)]
enum Wanted {
    Decide(Verdict),
    Cancel,
}

fn refusal(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::OwnRequest | Refusal::NotAnApprover | Refusal::DecidedEarlierStep => {
            ApiError::Forbidden(refusal.to_string())
        }
        Refusal::NotPending(_) | Refusal::AlreadyDecided => ApiError::Conflict(refusal.to_string()),
    }
}

/// Whether a failed transition lost a race on the approval's version.
fn lost_race(error: &StoreError, approval: Item) -> bool {
    match error {
        StoreError::TransactionCancelled(reasons) => {
            error.failed(approval) || reasons.iter().any(|r| r == "TransactionConflict")
        }
        _ => false,
    }
}

async fn patch(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiResult<Response<Body>> {
    let id = path_id(req)?;
    let body: PatchBody = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let wanted = match body.status.as_str() {
        "APPROVED" => Some(Wanted::Decide(Verdict::Approved)),
        "REJECTED" => Some(Wanted::Decide(Verdict::Rejected)),
        "CANCELLED" => Some(Wanted::Cancel),
        _ => {
            v.push("status", "must be one of APPROVED, REJECTED, CANCELLED");
            None
        }
    };
    let comment = v
        .check_opt("comment", body.comment.as_deref(), Comment::parse)
        .unwrap_or_default();
    v.finish()?;
    let Some(wanted) = wanted else {
        return Err(ApiError::internal("validated input went missing"));
    };
    let pinned = body.version.is_some() || crate::http::header(req, "if-match").is_some();

    for _ in 0..MAX_ATTEMPTS {
        let (record, mut decisions) = visible(app, principal, &id).await?;
        check_version(req, body.version, record.version, "approval")?;
        let now = clock::now();
        let (after, decision, outcome) = match wanted {
            Wanted::Cancel => {
                if !principal.is(&record.requester_id) {
                    return Err(ApiError::Forbidden(
                        "only the requester can cancel a request".into(),
                    ));
                }
                let progress = approval::cancel(&record.progress()).map_err(refusal)?;
                (record.advanced(progress, now), None, None)
            }
            Wanted::Decide(verdict) => {
                let (progress, outcome) = approval::decide(
                    &record.steps,
                    record.separation(),
                    &record.progress(),
                    &record.requester_id,
                    &principal.user_id,
                    principal.role,
                    verdict,
                )
                .map_err(refusal)?;
                let decision = DecisionRecord::new(
                    &record,
                    principal.user_id,
                    principal.role,
                    verdict,
                    comment.clone(),
                    now,
                );
                (
                    record.advanced(progress, now),
                    Some(decision),
                    Some(outcome),
                )
            }
        };
        let event = transition_event(&record, &after, decision.as_ref(), outcome, principal, meta);
        let (tx, named) = app
            .store
            .transition(&record, &after, decision.as_ref(), &event)?;
        match app.store.commit(tx).await {
            Ok(()) => {
                decisions.extend(decision);
                return Ok(with_etag(
                    json(StatusCode::OK, &full_view(&after, &decisions))?,
                    after.version,
                ));
            }
            Err(error) if named.decision.is_some_and(|item| error.failed(item)) => {
                return Err(refusal(Refusal::AlreadyDecided))
            }
            Err(error) if lost_race(&error, named.approval) && !pinned => continue,
            Err(error) if lost_race(&error, named.approval) => {
                return Err(ApiError::Conflict(
                    "the approval was changed concurrently; reload and retry".into(),
                ))
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(ApiError::Conflict(
        "the approval is being decided by others right now; reload and retry".into(),
    ))
}

/// The event of a transition: its type says what happened; its changes
/// hold each changed field and the decision made.
fn transition_event(
    before: &ApprovalRecord,
    after: &ApprovalRecord,
    decision: Option<&DecisionRecord>,
    outcome: Option<Outcome>,
    principal: &Principal,
    meta: &RequestMeta,
) -> Envelope {
    let event_type = outcome.map_or("approval.cancelled", Outcome::event_type);
    let mut event = Envelope::new(
        event_type,
        "approval",
        after.id,
        Actor::from(principal),
        &meta.correlation_id,
        view_value(after),
    );
    if before.status != after.status {
        event = event.change("status", before.status, after.status);
    }
    if before.current_step != after.current_step {
        event = event.change("current_step", before.current_step, after.current_step);
    }
    if before.step_approvals != after.step_approvals {
        event = event.change(
            "step_approvals",
            &before.step_approvals,
            &after.step_approvals,
        );
    }
    if let Some(decision) = decision {
        let made: HashMap<&str, serde_json::Value> = HashMap::from([
            ("step", decision.step.into()),
            ("decision", decision.verdict.as_str().into()),
            ("comment", decision.comment.as_str().into()),
        ]);
        event = event.change("decision", serde_json::Value::Null, made);
    }
    event
}
