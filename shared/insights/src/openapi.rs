//! The OpenAPI description of the `insights` function's routes, built from
//! the request types of [`crate::api`] and the view of [`crate::view`]; a
//! risk level and a factor, which the domain keeps without schemas, are
//! given theirs here. `infra/openapi` merges it into `docs/openapi.json`.
//!
//! Invariant: one operation per route of the function in `template.yaml`,
//! each answering exactly the statuses its handler can (401, 503 and 500
//! are added by the kernel's `finish`): every role lists and reads, so the
//! listings and `GET /{id}` are never 403 (what a caller may not see is
//! left out of a page, or 404); raising and deleting are an admin's and
//! reviewing an admin's or an approver's (403 for anyone else, before
//! anything else); an id that is not a UUID, names no insight or one the
//! caller may not see is 404; an unknown or repeated query parameter, a
//! malformed `limit` or `cursor`, body, `If-Match` or `Idempotency-Key` is
//! 400, a body over 64 KiB 413, a body that is not JSON 415, invalid
//! values (a filter, a `{workflow_id}` that is not a UUID, a `limit`
//! outside 1–100, a `risk_level` other than its score's, a review to
//! `open`, an `Idempotency-Key` reused for another body) 422; a move the
//! insight's status does not allow, a stale body `version`, a lost race or
//! a busy idempotency key is 409; a stale `If-Match` 412.

use crate::api::{CreateInsight, ReviewInsight, HIGH_RISK_THRESHOLD};
use crate::domain::insight::InsightStatus;
use crate::view::InsightView;
use opsflow_platform::http::{Page, DEFAULT_BODY_LIMIT};
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdPath, IdempotencyKey, IfMatch, NotFound, PageParams,
    PayloadTooLarge, PreconditionFailed, Unprocessable, UnsupportedMediaType,
};
use std::borrow::Cow;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_insights,
    create_insight,
    list_high_risk_insights,
    list_workflow_insights,
    get_insight,
    review_insight,
    delete_insight,
))]
struct Routes;

/// The description of the module's routes.
pub fn doc() -> utoipa::openapi::OpenApi {
    Routes::openapi()
}

/// The risk levels, lowest first, as [`crate::domain::RiskLevel`] writes
/// them (its `parse` reads them in any case); the API tests hold them to
/// it.
const RISK_LEVELS: [&str; 4] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// The schema `RiskLevel`: the levels, and the score where each begins.
pub struct RiskLevelName;

impl utoipa::PartialSchema for RiskLevelName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(RISK_LEVELS))
            .description(Some(
                "How much attention an insight deserves, by its `risk_score` (0–1): \
                 `LOW` < 0.25 ≤ `MEDIUM` < 0.5 ≤ `HIGH` < 0.8 ≤ `CRITICAL`.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for RiskLevelName {
    fn name() -> Cow<'static, str> {
        "RiskLevel".into()
    }
}

/// The schema `InsightFactor`: one factor behind an insight's score, as
/// [`crate::domain::Factor`] serializes it.
pub struct InsightFactor;

impl utoipa::PartialSchema for InsightFactor {
    fn schema() -> RefOr<Schema> {
        let text = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
        };
        let share = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(0))
                .maximum(Some(1))
                .description(Some(description))
        };
        let value = ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .description(Some(
                "What the scorer measured: a number, the array of a request's new \
                 payload field names, or `null` when it could not be measured.",
            ));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "One factor behind an insight's score: what it measured, how much it \
                 weighs and what it added.",
            ))
            .property(
                "name",
                text(
                    "`amount`, `new_requester`, `new_fields`, `rejection_rate`, \
                     `request_burst`, `slow_step` or `fast_decision` for a request's \
                     risk; `assessment` for an insight raised by hand.",
                ),
            )
            .property("value", value)
            .property("weight", share("Its weight; a score's weights sum to 1."))
            .property(
                "contribution",
                share(
                    "`weight × strength`, rounded to 3 decimals: what it added to the \
                     score. The contributions of an insight's factors sum to its \
                     `risk_score`.",
                ),
            )
            .property(
                "explanation",
                text("One sentence, with the figures, that says why."),
            )
            .required("name")
            .required("value")
            .required("weight")
            .required("contribution")
            .required("explanation")
            .into()
    }
}

impl utoipa::ToSchema for InsightFactor {
    fn name() -> Cow<'static, str> {
        "InsightFactor".into()
    }
}

/// The filters every listing takes.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct InsightFilters {
    /// Only insights of this level (any case).
    risk_level: Option<RiskLevelName>,
    /// Only insights in this status (any case).
    status: Option<InsightStatus>,
    /// Only insights about this kind of entity, such as `approval`
    /// (`a–z` and `_`, 1–32 characters).
    #[param(pattern = "^[a-z][a-z_]{0,31}$")]
    entity: Option<String>,
}

/// `?threshold=` of the high-risk listing.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct Threshold {
    /// The lowest `risk_score` listed: a number from 0 to 1, default 0.7
    /// (the upper part of `HIGH`, and every `CRITICAL`).
    #[param(minimum = 0, maximum = 1, default = 0.7)]
    threshold: Option<f64>,
}

// The defaults and bounds documented here are the handler's.
const _: () = assert!(HIGH_RISK_THRESHOLD == 0.7);
const _: () = assert!(DEFAULT_BODY_LIMIT == 64 * 1024);

/// List insights
///
/// Newest first. Everyone signed in lists the insights they may see: one
/// about an approval request (`entity` `approval`) is seen by whoever may
/// read that request (`GET /api/v1/approvals/{id}`: its requester, its
/// approvers, whoever decided it); any other only by admins and auditors,
/// who see every insight. Visibility is applied to each page after it is
/// read, so a non-admin's page — like any filtered page — may hold fewer
/// than `limit` insights, even none, while `next_cursor` is not `null`:
/// follow it to the end. Each insight carries its `risk_score` (0–1), the
/// level that follows from it (`LOW` < 0.25 ≤ `MEDIUM` < 0.5 ≤ `HIGH` <
/// 0.8 ≤ `CRITICAL`) and the `factors` whose contributions sum to the
/// score. Any other query parameter, or one given twice, is 400; a filter
/// value that does not parse is 422.
#[utoipa::path(
    get,
    path = "/api/v1/aiInsights",
    operation_id = "listInsights",
    tag = "insights",
    security(("bearer" = [])),
    params(
        InsightFilters,
        ("workflow_id" = Option<String>, Query, format = "uuid",
            description = "Only insights about requests filed against this workflow."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of the insights the caller may see.",
            body = Page<InsightView>),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_insights() {}

/// Raise an insight
///
/// Admins only. The insight starts `open`, its `source` `manual`, with one
/// factor, `assessment`, whose contribution is the `risk_score` (0–1) the
/// admin gives; `risk_level` follows from the score, and one given that is
/// not the score's level is 422. `entity` and `entity_id` go together
/// (422 otherwise); `entity_id` is not looked up. An insight about an
/// approval (`entity` `approval`, `entity_id` its id) is seen by whoever
/// may read that request; any other by admins and auditors only. A busy
/// `Idempotency-Key` is 409.
#[utoipa::path(
    post,
    path = "/api/v1/aiInsights",
    operation_id = "createInsight",
    tag = "insights",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = CreateInsight, example = json!({
        "title": "Vendor paid twice",
        "description": "Two payments to Acme for invoice 1042.",
        "recommendation": "Hold further payments to Acme until finance checks the invoice.",
        "risk_score": 0.85,
        "entity": "approval",
        "entity_id": "0193b2a4-8000-7000-8000-0000000a0001"
    })),
    responses(
        (status = 201, description = "Raised, `open`.", body = InsightView,
            headers(
                ("location" = String, description = "`/api/v1/aiInsights/{id}`"),
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
fn create_insight() {}

/// List high-risk insights
///
/// The insights scored at least `threshold` (default 0.7), newest first,
/// with the same filters, visibility and paging as the whole listing: a
/// non-admin's page may hold fewer than `limit` insights while
/// `next_cursor` is not `null`. A `threshold` outside 0–1 is 422.
#[utoipa::path(
    get,
    path = "/api/v1/aiInsights/high-risk",
    operation_id = "listHighRiskInsights",
    tag = "insights",
    security(("bearer" = [])),
    params(
        Threshold,
        InsightFilters,
        ("workflow_id" = Option<String>, Query, format = "uuid",
            description = "Only insights about requests filed against this workflow."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of the high-risk insights the caller may see.",
            body = Page<InsightView>),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_high_risk_insights() {}

/// List a workflow's insights
///
/// The insights about requests filed against one workflow, newest first,
/// with the same filters, visibility and paging as the whole listing: a
/// non-admin's page may hold fewer than `limit` insights while
/// `next_cursor` is not `null`. A `{workflow_id}` that is not a UUID is
/// 422; one that names no workflow has no insights (an empty page).
#[utoipa::path(
    get,
    path = "/api/v1/aiInsights/workflow/{workflow_id}",
    operation_id = "listWorkflowInsights",
    tag = "insights",
    security(("bearer" = [])),
    params(
        ("workflow_id" = String, Path, format = "uuid", description = "The workflow's id."),
        InsightFilters,
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of the workflow's insights the caller may see.",
            body = Page<InsightView>),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_workflow_insights() {}

/// Get an insight
///
/// One insight with every factor behind its score (the contributions sum
/// to `risk_score`). An insight about an approval is for whoever may read
/// that request, any other for admins and auditors; to anyone else it is
/// 404, as one that does not exist. An insight about a request resolves
/// by itself when the request ends, `note` saying why.
#[utoipa::path(
    get,
    path = "/api/v1/aiInsights/{id}",
    operation_id = "getInsight",
    tag = "insights",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 200, description = "The insight.", body = InsightView, headers(
            ("etag" = String, description = "The version, quoted (`\"3\"`)."),
        )),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_insight() {}

/// Review an insight
///
/// Admins, and approvers on the requests they may decide — named by a
/// step, not the requester — (403 for users, auditors and an approver on
/// their own request; an insight the approver may not see is 404). `status` moves
/// it: `open` → `acknowledged` or `resolved`, `acknowledged` → `resolved`;
/// any other move is 409 (a resolved insight stays resolved), and `open`
/// is 422. `note` becomes its note (empty when left out). A stale
/// `If-Match` is 412, a stale body `version` or a concurrent change 409.
#[utoipa::path(
    patch,
    path = "/api/v1/aiInsights/{id}",
    operation_id = "reviewInsight",
    tag = "insights",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    request_body(content = ReviewInsight, example = json!({
        "status": "acknowledged",
        "note": "Checking with finance."
    })),
    responses(
        (status = 200, description = "The insight after the review.", body = InsightView,
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
fn review_insight() {}

/// Delete an insight
///
/// Admins only, in any status. A stale `If-Match` is 412; a change that
/// lands meanwhile is 409.
#[utoipa::path(
    delete,
    path = "/api/v1/aiInsights/{id}",
    operation_id = "deleteInsight",
    tag = "insights",
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
fn delete_insight() {}
