//! `POST /api/v1/automation/execute`: rules on demand (what runs, and how,
//! is `service::execute`'s). This checks the body, and what may only be a
//! dry run: a described event about a platform entity (an approval, a
//! workflow, a rule, a user), since actions act on the stored entity, so a
//! real run's conditions must see the stored entity, never a caller's
//! account of it; and a client's kind of event (`client.…`), since rules
//! never run on what clients report (the runner refuses those events), so
//! executing them would show something that never happens.
//!
//! A body with a `request_id` is the decision request other approval
//! systems send ([`decision`]): its type's decision rule decides it, once
//! per `request_id`.
//!
//! A real run takes an `Idempotency-Key`: a retry gets the first answer
//! back instead of running the actions again. A dry run writes nothing, not
//! even the key.

use crate::api::ApiReply;

pub(crate) mod body;
pub(crate) mod decision;

use super::Automation;
use crate::api::idempotency;
use crate::auth::Principal;
use crate::http::{json, parse_json, RequestMeta, DEFAULT_BODY_LIMIT};
use crate::service::execute::{self, Caller};
use body::{check, ExecuteBody};
use http::StatusCode;
use lambda_http::Request;

pub(super) async fn execute(
    ctx: &Automation,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiReply {
    let fields: serde_json::Map<String, serde_json::Value> = parse_json(req, DEFAULT_BODY_LIMIT)?;
    if fields.contains_key("request_id") {
        return decide(ctx, principal, meta, req).await;
    }
    let body: ExecuteBody = parse_json(req, DEFAULT_BODY_LIMIT)?;
    if body.dry_run {
        return run(ctx, principal, meta, body).await;
    }
    let scope = format!("automation-execute#{}", principal.user_id);
    idempotency::idempotent(&ctx.app.store, &scope, meta, req, || {
        run(ctx, principal, meta, body)
    })
    .await
}

/// The decision request other approval systems send: decided by its
/// type's decision rule, once per `request_id` (its own idempotency).
async fn decide(
    ctx: &Automation,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiReply {
    let body: decision::DecisionBody = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let request = decision::check(body)?;
    let answer =
        crate::service::decisions::decide(&ctx.app.store, principal, &meta.correlation_id, request)
            .await?;
    json(StatusCode::OK, &answer)
}

async fn run(
    ctx: &Automation,
    principal: &Principal,
    meta: &RequestMeta,
    body: ExecuteBody,
) -> ApiReply {
    let kinds: Vec<&str> = ctx.app.registry.kinds().collect();
    let execution = check(body, &kinds)?;
    let caller = Caller {
        principal,
        correlation_id: &meta.correlation_id,
        request_id: &meta.request_id,
    };
    let executed = execute::execute(&ctx.app, &ctx.runner, &caller, execution).await?;
    json(StatusCode::OK, &executed)
}
