//! `decisionRules` (served by the `rules` function): the decision rules
//! of workflow types, as immutable versions. `POST` writes a type's next
//! version; `PATCH …/versions/{version}` turns one on or off (the only
//! change a version takes); the highest active version of a type decides
//! its decision requests (`POST /api/v1/automation/execute` with a
//! `request_id`). Admins write; admins and auditors read.

use crate::api::ApiReply;

use crate::api::{idempotency, paged_by_key};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::http::{
    check_version, json, only_query_params, parse_json, path_param, with_etag, with_location,
    RequestMeta, DEFAULT_BODY_LIMIT,
};
use crate::service::decisions::{self as service, workflow_type, DecisionRuleInput};
use crate::store::decisions::{DecisionRuleRecord, DecisionStore};
use crate::view::decisions::{decision_head_view, decision_rule_view};
use crate::Api;
use http::StatusCode;
use lambda_http::Request;
use serde::Deserialize;

/// The routes of decision rules; the caller may read rules (checked by
/// the `rules` router), and writes need `RULES_MANAGE` (checked there too).
pub(crate) async fn route(
    app: &Api,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiReply {
    match meta.route_key.as_str() {
        "GET /api/v1/decisionRules" => {
            only_query_params(req, &["limit", "cursor"])?;
            paged_by_key(
                app,
                req,
                "decision-rules",
                |limit, after| async move {
                    app.store.decision_heads(limit, after.as_deref()).await
                },
                decision_head_view,
            )
            .await
        }
        "POST /api/v1/decisionRules" => {
            let scope = format!("decision-rules-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, meta, req, || {
                create(app, principal, meta, req)
            })
            .await
        }
        "GET /api/v1/decisionRules/{workflow_type}/versions" => {
            only_query_params(req, &["limit", "cursor"])?;
            let kind = path_type(req)?;
            let scope = format!("decision-rule-versions:{kind}");
            paged_by_key(
                app,
                req,
                &scope,
                |limit, after| async move {
                    app.store
                        .decision_versions(&kind, false, limit, after.as_deref())
                        .await
                },
                decision_rule_view,
            )
            .await
        }
        "PATCH /api/v1/decisionRules/{workflow_type}/versions/{version}" => {
            patch(app, principal, meta, req).await
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such decision rule version".into())
}

/// The path's workflow type; one that cannot be a type names nothing.
fn path_type(req: &Request) -> ApiResult<String> {
    workflow_type(path_param(req, "workflow_type")?).map_err(|_| not_found())
}

async fn create(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let input: DecisionRuleInput = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let record =
        service::create_version(&app.store, principal, &meta.correlation_id, input).await?;
    let response = with_etag(
        json(StatusCode::CREATED, &decision_rule_view(&record))?,
        record.revision,
    );
    Ok(with_location(response, &location(&record)))
}

fn location(record: &DecisionRuleRecord) -> String {
    format!(
        "/api/v1/decisionRules/{}/versions/{}",
        record.workflow_type, record.version
    )
}

/// The one change a version takes.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = UpdateDecisionRuleVersion))]
#[serde(deny_unknown_fields)]
pub(crate) struct ActivateVersion {
    /// Whether this version may decide. To change its conditions or
    /// outcome, write a new version (`POST /api/v1/decisionRules`).
    is_active: bool,
}

async fn patch(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let kind = path_type(req)?;
    let version: u32 = path_param(req, "version")?
        .parse()
        .map_err(|_| not_found())?;
    let body: ActivateVersion = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let record = app
        .store
        .decision_version(&kind, version)
        .await?
        .ok_or_else(not_found)?;
    check_version(req, None, record.revision, "decision rule version")?;
    let after = service::set_active(
        &app.store,
        principal,
        &meta.correlation_id,
        record,
        body.is_active,
    )
    .await?;
    Ok(with_etag(
        json(StatusCode::OK, &decision_rule_view(&after))?,
        after.revision,
    ))
}
