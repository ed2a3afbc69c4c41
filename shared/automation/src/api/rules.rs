//! `rules`: admins write the automation rules that react to events
//! (`/api/v1/rules`). A rule is checked as a whole when it is written — its
//! trigger, every condition and every action, each problem named by its
//! path in the rule (`conditions.all[1].value`) — so a stored rule can
//! always be evaluated. `PATCH` merges the given fields into the rule and
//! checks the result the same way.
//!
//! It serves the decision rules of workflow types too
//! (`/api/v1/decisionRules…`, [`crate::api::decision_rules`]).
//!
//! Every route is for admins: rules reveal how requests are decided (an
//! auto-approval threshold, say), which requesters should not be able to
//! read and work around.

use crate::api::ApiReply;

use crate::api::{idempotency, paged_by_key};
use crate::auth::Principal;
use crate::domain::EntityId;
use crate::error::{ApiError, ApiResult};
use crate::events::Actor;
use crate::http::{
    check_version, json, no_content, only_query_params, parse_json, parse_json_bytes, path_param,
    query_param, with_etag, with_location, RequestMeta, DEFAULT_BODY_LIMIT,
};
use crate::language::RuleInput;
use crate::permissions;
use crate::service::rules::{self as service, CHANGEABLE};
use crate::store::rules::RuleStore;
use crate::store::rules::{RuleFilter, RuleRecord};
use crate::store::StoreError;
use crate::view::rule_view;
use crate::Api;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};

pub async fn handle(app: &Api, req: Request) -> Response<Body> {
    crate::api::serve(app, req, route).await
}

async fn route(app: &Api, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    // Auditors read rules; only admins change them.
    principal.require(permissions::RULES_READ)?;
    if !meta.route_key.starts_with("GET ") {
        principal.require(permissions::RULES_MANAGE)?;
    }
    if meta.route_key.contains(" /api/v1/decisionRules") {
        return crate::api::decision_rules::route(app, &principal, &meta, &req).await;
    }
    match meta.route_key.as_str() {
        "GET /api/v1/rules" => list(app, &req).await,
        "POST /api/v1/rules" => {
            let scope = format!("rules-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                create(app, &principal, &meta, &req)
            })
            .await
        }
        "GET /api/v1/rules/{id}" => {
            let record = existing(app, &req).await?;
            Ok(with_etag(
                json(StatusCode::OK, &view(&record)?)?,
                record.version,
            ))
        }
        "PATCH /api/v1/rules/{id}" => patch(app, &principal, &meta, &req).await,
        "DELETE /api/v1/rules/{id}" => delete(app, &principal, &meta, &req).await,
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

/// A rule as the API shows it (see [`crate::view::rule_view`]).
pub fn view(record: &RuleRecord) -> Result<Value, StoreError> {
    rule_view(record)
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such rule".into())
}

async fn existing(app: &Api, req: &Request) -> ApiResult<RuleRecord> {
    let id = EntityId::parse(path_param(req, "id")?).map_err(|_| not_found())?;
    app.store.rule_by_id(&id).await?.ok_or_else(not_found)
}

async fn list(app: &Api, req: &Request) -> ApiReply {
    only_query_params(req, &["enabled", "trigger", "limit", "cursor"])?;
    let enabled = match query_param(req, "enabled")? {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(ApiError::invalid_field("enabled", "must be true or false")),
    };
    let trigger = match query_param(req, "trigger")? {
        Some(raw) => Some(
            crate::language::Trigger::parse(raw)
                .map_err(|m| ApiError::invalid_field("trigger", m))?
                .to_string(),
        ),
        None => None,
    };
    let filter = RuleFilter { enabled, trigger };
    let scope = format!("rules:{filter:?}");
    paged_by_key(
        app,
        req,
        &scope,
        |limit, after| async move {
            let (records, next) = app
                .store
                .list_rules(&filter, limit, after.as_deref())
                .await?;
            let views = records.iter().map(view).collect::<Result<Vec<_>, _>>()?;
            Ok((views, next))
        },
        Value::clone,
    )
    .await
}

async fn create(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let input: RuleInput = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let (record, shown) = service::create_rule(
        &app.store,
        Actor::from(principal),
        principal.user_id,
        &meta.correlation_id,
        input,
    )
    .await?;
    let response = with_etag(json(StatusCode::CREATED, &shown)?, record.version);
    Ok(with_location(
        response,
        &format!("/api/v1/rules/{}", record.id),
    ))
}

async fn patch(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let mut record = existing(app, req).await?;
    let mut body: Map<String, Value> = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let version = match body.remove("version") {
        None => None,
        Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
        Some(_) => return Err(ApiError::bad_request("version", "must be a whole number")),
    };
    if let Some(unknown) = body.keys().find(|k| !CHANGEABLE.contains(&k.as_str())) {
        return Err(ApiError::bad_request(
            unknown.as_str(),
            "unknown field; a rule has name, description, trigger, conditions, actions, enabled, priority",
        ));
    }
    if body.is_empty() {
        return Err(ApiError::invalid_field(
            "body",
            "give at least one of name, description, trigger, conditions, actions, enabled, priority",
        ));
    }
    check_version(req, version, record.version, "rule")?;
    let merged = service::merged(&record, body)?;
    let bytes = serde_json::to_vec(&merged).map_err(|e| ApiError::Internal(e.into()))?;
    let input: RuleInput = parse_json_bytes(&bytes)?;
    let after = service::update_rule(
        &app.store,
        Actor::from(principal),
        &meta.correlation_id,
        &mut record,
        input,
    )
    .await?;
    Ok(with_etag(json(StatusCode::OK, &after)?, record.version))
}

async fn delete(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let record = existing(app, req).await?;
    check_version(req, None, record.version, "rule")?;
    service::delete_rule(
        &app.store,
        Actor::from(principal),
        &meta.correlation_id,
        &record,
    )
    .await?;
    no_content()
}
