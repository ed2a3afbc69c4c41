//! The OpenAPI description of the `workflows` and `approvals` functions'
//! routes, built from the request types of [`crate::api`] and the views of
//! [`crate::view`]; `infra/openapi` merges it into `docs/openapi.json`.
//!
//! Invariant: one operation per route of the two functions in
//! `template.yaml`, each answering exactly the statuses its handler can
//! (401 and 500 are added by the kernel's `finish`): `principal.require`
//! is 403, a malformed body, query, `If-Match` or `Idempotency-Key` is
//! 400, a body over 64 KiB 413, invalid values 422, and the service's
//! [`crate::service::ApprovalsError`] its own status.

pub mod schemas;

use crate::api::approvals::{CreateApproval, DecideApproval};
use crate::api::workflows::{CreateWorkflow, UpdateWorkflow};
use crate::domain::{ApprovalStatus, WorkflowStatus};
use crate::view::{ApprovalView, WorkflowView};
use opsflow_platform::http::Page;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdPath, IdempotencyKey, IfMatch, NotFound, PageParams,
    PayloadTooLarge, PreconditionFailed, Unprocessable, UnsupportedMediaType,
};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_workflows,
    create_workflow,
    get_workflow,
    update_workflow,
    delete_workflow,
    list_approvals,
    create_approval,
    get_approval,
    decide_approval,
))]
struct Routes;

/// The description of the module's routes.
pub fn doc() -> utoipa::openapi::OpenApi {
    Routes::openapi()
}

/// List workflows
///
/// Everyone signed in lists the `ACTIVE` workflows, which requests are
/// filed against; admins and auditors list every status (`status`
/// filters). `type` keeps the workflows of one type (a filter on the
/// listing's key, so a page may hold fewer than `limit` while
/// `next_cursor` is not `null`). Newest first.
#[utoipa::path(
    get,
    path = "/api/v1/workflows",
    operation_id = "listWorkflows",
    tag = "workflows",
    security(("bearer" = [])),
    params(
        ("status" = Option<WorkflowStatus>, Query,
            description = "Only workflows in this status. Others than admins may only ask for \
                           `ACTIVE` (else 403); without it they get the active ones."),
        ("type" = Option<String>, Query, pattern = "^[A-Za-z][A-Za-z0-9_]{0,63}$",
            description = "Only workflows of this type (any case), such as \
                           `HIGH_VALUE_TRANSACTION`."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of workflows.", body = Page<WorkflowView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_workflows() {}

/// Create a workflow
///
/// Admins only. The workflow starts as a `DRAFT`; each step names its
/// approvers by role (`approver_role`) or by id (`approver_ids`, 1–25
/// users) and how many approvals complete it. Every bad field is named
/// (`steps[1].required_approvals`).
#[utoipa::path(
    post,
    path = "/api/v1/workflows",
    operation_id = "createWorkflow",
    tag = "workflows",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = CreateWorkflow, example = json!({
        "name": "Purchase request",
        "description": "Anything bought with company money",
        "steps": [
            {"name": "Manager", "approver_role": "approver", "required_approvals": 1},
            {"name": "Finance", "approver_role": "admin", "required_approvals": 1}
        ]
    })),
    responses(
        (status = 201, description = "Created, as a `DRAFT`.", body = WorkflowView, headers(
            ("location" = String, description = "`/api/v1/workflows/{id}`"),
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
fn create_workflow() {}

/// Get a workflow
///
/// Admins and auditors read any workflow; everyone else only an `ACTIVE`
/// one (any other is 404).
#[utoipa::path(
    get,
    path = "/api/v1/workflows/{id}",
    operation_id = "getWorkflow",
    tag = "workflows",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 200, description = "The workflow.", body = WorkflowView, headers(
            ("etag" = String, description = "The version, quoted (`\"3\"`)."),
        )),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_workflow() {}

/// Change a workflow
///
/// Admins only. Any of `name`, `description`, `status` (`DRAFT → ACTIVE →
/// ARCHIVED` only; activation needs a step), and while a `DRAFT`, `steps`
/// and `allow_same_approver_across_steps`. An archived workflow never
/// changes (409). A stale `If-Match` is 412, a stale `version` 409.
#[utoipa::path(
    patch,
    path = "/api/v1/workflows/{id}",
    operation_id = "updateWorkflow",
    tag = "workflows",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    request_body(content = UpdateWorkflow, example = json!({"status": "ACTIVE"})),
    responses(
        (status = 200, description = "The workflow after the change.", body = WorkflowView,
            headers(("etag" = String, description = "The new version, quoted."))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn update_workflow() {}

/// Delete a workflow
///
/// Admins only. Refused (409) while any approval filed against it is
/// pending; a stale `If-Match` is 412.
#[utoipa::path(
    delete,
    path = "/api/v1/workflows/{id}",
    operation_id = "deleteWorkflow",
    tag = "workflows",
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
fn delete_workflow() {}

/// List approvals
///
/// Newest first. Admins and auditors list every request; everyone else their own
/// requests, or with `assigned=me` what waits on their decision (never a
/// later step of a request they approved an earlier step of, unless its
/// workflow allows it). A filtered page may hold fewer than `limit`
/// items while `next_cursor` is not `null`. Items carry no `decisions`.
#[utoipa::path(
    get,
    path = "/api/v1/approvals",
    operation_id = "listApprovals",
    tag = "approvals",
    security(("bearer" = [])),
    params(
        ("status" = Option<ApprovalStatus>, Query, description = "Only approvals in this status."),
        ("workflow_id" = Option<String>, Query, format = "uuid",
            description = "Only approvals filed against this workflow."),
        ("requester_id" = Option<String>, Query, format = "uuid",
            description = "Only this user's requests; others than admins may only name \
                           themselves (else 403)."),
        ("assigned" = Option<String>, Query, pattern = "^me$",
            description = "`me`: the approvals whose current step waits on the caller."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of approvals.", body = Page<ApprovalView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_approvals() {}

/// File an approval request
///
/// Anyone signed in but auditors (403: they change nothing) files a
/// request against an `ACTIVE` workflow: it copies the workflow's steps
/// and starts `PENDING` at step 0. A workflow that stops being active
/// meanwhile is 409.
#[utoipa::path(
    post,
    path = "/api/v1/approvals",
    operation_id = "createApproval",
    tag = "approvals",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = CreateApproval, example = json!({
        "workflow_id": "01890a5d-ac96-774b-bcce-b302099a8057",
        "title": "New laptop",
        "description": "For the new hire",
        "payload": {"category": "hardware"},
        "amount": 1499.99
    })),
    responses(
        (status = 201, description = "Filed: `PENDING` at step 0, with its (empty) \
                                      `decisions`.", body = ApprovalView, headers(
            ("location" = String, description = "`/api/v1/approvals/{id}`"),
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
fn create_approval() {}

/// Get an approval
///
/// The approval with its `decisions` (step, approver, decision, comment,
/// time), for its requester, the approvers its steps name (by role, by id
/// or assigned by a rule), whoever decided it, admins and auditors;
/// anyone else gets 404.
#[utoipa::path(
    get,
    path = "/api/v1/approvals/{id}",
    operation_id = "getApproval",
    tag = "approvals",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 200, description = "The approval and its decisions.", body = ApprovalView,
            headers(("etag" = String, description = "The version, quoted (`\"3\"`)."))),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_approval() {}

/// Decide, escalate or withdraw an approval
///
/// `APPROVED` or `REJECTED` decides the current step: only its approvers,
/// once each; never the requester, nor (unless the workflow allows it)
/// whoever approved an earlier step, nor an auditor (403). A final
/// approval, or a second decision, is 409. `ESCALATED` hands the current
/// step up to its escalation approvers: the same approvers may (403
/// otherwise); an escalated step, a final approval or a step naming
/// nobody to escalate to is 409. `CANCELLED` is the requester's
/// withdrawal of an open request. `reason` is accepted as the same
/// field as `comment`. Without `If-Match` or `version` a decision that meets
/// a concurrent one is tried again on fresh state; with them a stale
/// version is 412 (`If-Match`) or 409 (`version`).
#[utoipa::path(
    patch,
    path = "/api/v1/approvals/{id}",
    operation_id = "decideApproval",
    tag = "approvals",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    request_body(content = DecideApproval, example = json!({
        "status": "APPROVED",
        "comment": "Within budget"
    })),
    responses(
        (status = 200, description = "The approval after the change, with its decisions.",
            body = ApprovalView,
            headers(("etag" = String, description = "The new version, quoted."))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn decide_approval() {}
