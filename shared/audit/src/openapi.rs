//! The OpenAPI description of the `audit-logs` function's routes, built
//! from `api::audit_logs`' request types and the record view, for
//! `infra/openapi` to merge into `docs/openapi.json`.
//!
//! Invariant: one operation per route of the function in `template.yaml`,
//! each listing every status its handler can answer (401 and 500 are
//! added by the kernel's `openapi::finish`), with parameters and fields
//! that accept what the handler's parsers accept (`events::names`).

use crate::api::audit_logs::{Accepted, EntryBody};
use crate::view::AuditLogView;
use opsflow_platform::http::Page;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, NotFound, PageParams, PayloadTooLarge,
    ServiceUnavailable, TooManyRequests, Unprocessable, UnsupportedMediaType,
};
use utoipa::openapi::OpenApi;
use utoipa::OpenApi as _;

/// `GET /api/v1/auditLogs`.
#[utoipa::path(
    get,
    path = "/api/v1/auditLogs",
    operation_id = "listAuditLogs",
    tag = "auditLogs",
    summary = "Read the audit log",
    description = "Signed in: audit records, newest first, every filter a `Query` on its own \
        key. Admins and auditors see every record. Everyone else sees their own actions (the default \
        without filters, or `user_id=<own id>`; another user's id is 403) and the records \
        about one entity they may see (`entity` with `entity_id`: themselves, active \
        workflows, the approvals they may see; anything else is 404). A whole kind of entity \
        (`entity` without `entity_id`) or an action across users (`action` without \
        `user_id`) is 403 for non-admins. Without `entity`, `user_id` or `action` the window \
        is the 30 days before `to`. An unknown or repeated parameter, or an unreadable time, \
        is 400; invalid values (a time outside the years 1–9999 in UTC, `from` after `to`, \
        `entity_id` without `entity`) are 422.",
    security(("bearer" = [])),
    params(
        ("entity" = Option<String>, Query, pattern = "^[a-z][a-z0-9_]{0,31}$",
            description = "The kind of entity the records are about (`user`, `workflow`, `approval`, …)."),
        ("entity_id" = Option<String>, Query, min_length = 1, max_length = 128,
            description = "With `entity`: the records about this one entity (1–128 characters, no control characters)."),
        ("user_id" = Option<String>, Query, min_length = 1, max_length = 128,
            description = "The actions of one user (the actor; `system` for the platform's own)."),
        ("action" = Option<String>, Query, pattern = "^[A-Za-z][A-Za-z0-9_.]{0,127}$",
            description = "One action, e.g. `user.role_changed` or `client.report.exported`, \
                           in any case (`USER.ROLE_CHANGED` is the same)."),
        ("from" = Option<String>, Query, format = DateTime,
            description = "The earliest time, inclusive (RFC 3339)."),
        ("to" = Option<String>, Query, format = DateTime,
            description = "The latest time, inclusive (RFC 3339); default now."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of audit records.", body = Page<AuditLogView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
fn list() {}

/// `GET /api/v1/auditLogs/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/auditLogs/{id}",
    operation_id = "getAuditLog",
    tag = "auditLogs",
    summary = "Read one audit record",
    description = "Signed in: one record by its id (the id of the event it records, as a \
        listing or a client's entry gives it), to whoever would see it in a listing: admins and \
        auditors any record; others the records of their own actions and those about an entity they \
        may see. Any other record, or an id that names none, is 404. Query parameters are 400.",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The record's id."),
    ),
    responses(
        (status = 200, description = "The record.", body = AuditLogView),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
fn get() {}

/// `POST /api/v1/auditLogs`.
#[utoipa::path(
    post,
    path = "/api/v1/auditLogs",
    operation_id = "createAuditLog",
    tag = "auditLogs",
    summary = "Record a client's action",
    description = "Signed in: records something the client did (an export, a download). It \
        becomes an audit record once the audit writer has it (within seconds), with action \
        `client.<action>` (in lower case, whatever the case sent), `source: \"client\"` and \
        the caller as `user_id`; no rule ever runs on it. Admins may report about anything; others about an entity they may see, or a \
        kind of their own named `client_…` (else 404). 60 entries a minute per caller, \
        retries included, then 429 with `Retry-After`. A retry with the same \
        `Idempotency-Key` gets the first answer again. Bodies over 16 KiB are refused (413).",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(
        content = EntryBody,
        example = json!({"action": "report.exported", "entity": "client_report", "entity_id": "monthly-2026-11", "details": {"format": "csv"}})
    ),
    responses(
        (status = 202, description = "Accepted: the id its audit record will have.", body = Accepted, headers(
            ("idempotent-replayed" = String, description = "`true` on the replayed answer to a retry."),
        )),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
fn create() {}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, get, create),
    tags((name = "auditLogs", description = "The immutable audit log: reading it, and recording what a client did."))
)]
struct AuditLogs;

/// The description of the audit log's routes.
pub fn doc() -> OpenApi {
    AuditLogs::openapi()
}
