//! The OpenAPI description of the decision rules' routes (served by the
//! `rules` function) and of the two shapes `execute` reads and answers:
//! rules run on an event, or a decision request (told apart by its
//! `request_id`).
//!
//! Invariant: one operation per `decisionRules` route of `template.yaml`,
//! each answering exactly the statuses its handler can: admins write,
//! admins and auditors read (403 otherwise).

use crate::api::automation::execute::body::ExecuteBody;
use crate::api::automation::execute::decision::DecisionBody;
use crate::api::decision_rules::ActivateVersion;
use crate::service::decisions::DecisionRuleInput;
use crate::view::decisions::{DecisionAnswer, DecisionRuleHeadView, DecisionRuleView};
use crate::view::Executed;
use opsflow_platform::http::Page;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, IfMatch, NotFound, PageParams,
    PayloadTooLarge, PreconditionFailed, Unprocessable, UnsupportedMediaType,
};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_decision_rules,
    create_decision_rule,
    list_decision_rule_versions,
    update_decision_rule_version,
))]
struct Routes;

/// The description of the decision rules' routes.
pub fn doc() -> utoipa::openapi::OpenApi {
    Routes::openapi()
}

/// What `POST /api/v1/automation/execute` reads: rules to run on an
/// event, or (with `request_id`) a decision request.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(crate) enum ExecuteRequest {
    Rules(ExecuteBody),
    Decision(DecisionBody),
}

/// What `POST /api/v1/automation/execute` answers: what the rules did (or
/// would do), or the decision.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(crate) enum ExecuteAnswer {
    Executed(Executed),
    Decided(DecisionAnswer),
}

/// List the workflow types with decision rules
///
/// Admins and auditors only. By type name; each with its last version.
#[utoipa::path(
    get,
    path = "/api/v1/decisionRules",
    operation_id = "listDecisionRules",
    tag = "rules",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of workflow types.", body = Page<DecisionRuleHeadView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_decision_rules() {}

/// Write a decision rule (a type's next version)
///
/// Admins only. Versions are immutable: writing a type's rule again makes
/// its next version (1, 2, …); the highest active version decides. Every
/// problem is named by its field (`conditions[1].operator`): 422.
#[utoipa::path(
    post,
    path = "/api/v1/decisionRules",
    operation_id = "createDecisionRule",
    tag = "rules",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = DecisionRuleInput, example = json!({
        "workflow_type": "HIGH_VALUE_TRANSACTION",
        "conditions": [
            {"field": "transaction.value", "operator": "gt", "value": 10000},
            {"field": "risk_score", "operator": "gte", "value": 0.7},
            {"field": "priority", "operator": "neq", "value": "LOW"}
        ],
        "outcome": "ESCALATED"
    })),
    responses(
        (status = 201, description = "The new version.", body = DecisionRuleView, headers(
            ("location" = String,
                description = "`/api/v1/decisionRules/{workflow_type}/versions/{version}`"),
            ("etag" = String, description = "The revision, quoted (`\"1\"`)."),
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
fn create_decision_rule() {}

/// List a decision rule's versions
///
/// Admins and auditors only. Newest first; the first active one decides.
/// A type without rules has none (an empty page); a path that cannot be a
/// workflow type is 404.
#[utoipa::path(
    get,
    path = "/api/v1/decisionRules/{workflow_type}/versions",
    operation_id = "listDecisionRuleVersions",
    tag = "rules",
    security(("bearer" = [])),
    params(
        ("workflow_type" = String, Path, description = "The workflow type (any case)."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of versions.", body = Page<DecisionRuleView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_decision_rule_versions() {}

/// Turn a decision rule's version on or off
///
/// Admins only. `is_active` is the one change a version takes; any other
/// field is 400 (write a new version instead). With `If-Match` (the
/// revision) a stale one is 412; a concurrent change is 409.
#[utoipa::path(
    patch,
    path = "/api/v1/decisionRules/{workflow_type}/versions/{version}",
    operation_id = "updateDecisionRuleVersion",
    tag = "rules",
    security(("bearer" = [])),
    params(
        ("workflow_type" = String, Path, description = "The workflow type (any case)."),
        ("version" = u32, Path, minimum = 1, description = "The version."),
        IfMatch,
    ),
    request_body(content = ActivateVersion, example = json!({"is_active": false})),
    responses(
        (status = 200, description = "The version.", body = DecisionRuleView,
            headers(("etag" = String, description = "The revision, quoted."))),
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
fn update_decision_rule_version() {}
