//! The OpenAPI description of the `rules` and `automation` functions'
//! routes, built from the rule language's types, the request types of
//! [`crate::api`] and the run view; what the handlers build as JSON is
//! described in [`schemas`]. `infra/openapi` merges it into
//! `docs/openapi.json`.
//!
//! Invariant: one operation per route of the two functions in
//! `template.yaml`, each answering exactly the statuses its handler can
//! (401 and 500 are added by the kernel's `finish`): every route is for
//! admins (403 otherwise), a malformed body, query, `If-Match` or
//! `Idempotency-Key` is 400, a body over 64 KiB 413, invalid values 422,
//! a lost race or a stale `version` 409, a stale `If-Match` 412.

mod decisions;
pub mod schemas;

use crate::language::RuleInput;
use crate::store::runs::RunStatus;
use crate::view::RunView;
use decisions::{ExecuteAnswer, ExecuteRequest};
use opsflow_platform::http::Page;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdPath, IdempotencyKey, IfMatch, NotFound, PageParams,
    PayloadTooLarge, PreconditionFailed, Unprocessable, UnsupportedMediaType,
};
use schemas::{RuleView, UpdateRule};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_rules,
    create_rule,
    get_rule,
    update_rule,
    delete_rule,
    execute_rules,
    list_runs,
))]
struct Routes;

/// The description of the module's routes.
pub fn doc() -> utoipa::openapi::OpenApi {
    let mut doc = Routes::openapi();
    doc.merge(decisions::doc());
    doc
}

/// List rules
///
/// Admins and auditors only. With `enabled`, in the order rules apply (ascending
/// `priority`); otherwise newest first.
#[utoipa::path(
    get,
    path = "/api/v1/rules",
    operation_id = "listRules",
    tag = "rules",
    security(("bearer" = [])),
    params(
        ("enabled" = Option<bool>, Query, description = "Only enabled (`true`) or disabled \
                                                          (`false`) rules."),
        ("trigger" = Option<String>, Query, max_length = 100,
            pattern = r"^(\*|(\*|[a-z][a-z0-9_]*)(\.(\*|[a-z][a-z0-9_]*)){0,7})$",
            description = "Only rules with exactly this trigger (an event-type pattern \
                           such as `approval.*`)."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of rules.", body = Page<RuleView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_rules() {}

/// Create a rule
///
/// Admins only. The rule is checked as a whole — its trigger, every
/// condition and every action — and every problem is named by its path
/// in the rule (`conditions.all[1].value`, `actions[0].type`): 422. An
/// action on an approval under a trigger that never matches an approval
/// event is refused too.
#[utoipa::path(
    post,
    path = "/api/v1/rules",
    operation_id = "createRule",
    tag = "rules",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = RuleInput, example = json!({
        "name": "Auto-approve small purchases",
        "trigger": "approval.created",
        "conditions": {"all": [
            {"path": "data.amount", "op": "lt", "value": 100},
            {"not": {"path": "data.payload.category", "op": "eq", "value": "travel"}}
        ]},
        "actions": [
            {"type": "approve", "comment": "Auto-approved: under 100"},
            {"type": "notify_webhook", "topic": "approvals.auto_approved"}
        ],
        "enabled": true,
        "priority": 10
    })),
    responses(
        (status = 201, description = "Created.", body = RuleView, headers(
            ("location" = String, description = "`/api/v1/rules/{id}`"),
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
fn create_rule() {}

/// Get a rule
///
/// Admins and auditors only.
#[utoipa::path(
    get,
    path = "/api/v1/rules/{id}",
    operation_id = "getRule",
    tag = "rules",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 200, description = "The rule.", body = RuleView, headers(
            ("etag" = String, description = "The version, quoted (`\"3\"`)."),
        )),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_rule() {}

/// Change a rule
///
/// Admins only. The given fields are merged into the rule (`null` removes
/// `description` or `conditions`) and the result is checked as a whole,
/// as on create. A stale `If-Match` is 412, a stale `version` 409.
#[utoipa::path(
    patch,
    path = "/api/v1/rules/{id}",
    operation_id = "updateRule",
    tag = "rules",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    request_body(content = UpdateRule, example = json!({"enabled": false})),
    responses(
        (status = 200, description = "The rule after the change.", body = RuleView,
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
fn update_rule() {}

/// Delete a rule
///
/// Admins only. A stale `If-Match` is 412.
#[utoipa::path(
    delete,
    path = "/api/v1/rules/{id}",
    operation_id = "deleteRule",
    tag = "rules",
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
fn delete_rule() {}

/// Run rules on an event, or decide a decision request
///
/// Admins only. A body with `request_id` is a decision request (the
/// shape other approval systems send): the highest active decision rule
/// of its `workflow_type` decides it, once per `request_id` (a repeat is
/// answered `DUPLICATE_IGNORED` with the first answer); each bad field is
/// named (422; a value of the wrong JSON type, or an unknown field, 400).
/// Otherwise the event is described (`event`) or built from an
/// existing entity (`entity`, `entity_id`, `event_type`: its `data` is the
/// entity as the API shows it); the caller is its actor, at depth 0. With
/// `dry_run` the rules are only evaluated and nothing is written.
/// Otherwise an `automation.executed` event is recorded and each rule
/// runs as the runner runs it. A real run about a platform entity
/// described by the caller, or on a client's event (`client.…`), is 422.
/// Without `rule_id` the enabled rules whose trigger matches run in
/// priority order; with it only that rule, enabled or not.
#[utoipa::path(
    post,
    path = "/api/v1/automation/execute",
    operation_id = "executeRules",
    tag = "automation",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = ExecuteRequest, example = json!({
        "dry_run": true,
        "event": {
            "type": "approval.rejected",
            "entity": "approval",
            "entity_id": "01890a5d-ac96-774b-bcce-b302099a8057",
            "data": {"amount": 5000},
            "changes": {"status": ["PENDING", "REJECTED"]}
        }
    })),
    responses(
        (status = 200, description = "What the rules did, or would do; or the decision.",
            body = ExecuteAnswer,
            headers(("idempotent-replayed" = String,
                description = "`true` when this is the first response to the same \
                               `Idempotency-Key` again (never on a dry run)."))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn execute_rules() {}

/// List rule runs
///
/// Admins and auditors only. What rules did with events, newest first; of one event
/// (`event_id`), by rule. A status (or, with `event_id`, a rule) filters
/// the listing's key, so a page may hold fewer runs than `limit` while
/// `next_cursor` is not `null`. Runs are kept 90 days.
#[utoipa::path(
    get,
    path = "/api/v1/automation/runs",
    operation_id = "listRuns",
    tag = "automation",
    security(("bearer" = [])),
    params(
        ("rule_id" = Option<String>, Query, format = "uuid",
            description = "Only the runs of this rule."),
        ("event_id" = Option<String>, Query, format = "uuid",
            description = "Only the runs of this event."),
        ("status" = Option<RunStatus>, Query, description = "Only runs that ended so."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of runs.", body = Page<RunView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_runs() {}
