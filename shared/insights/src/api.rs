//! `insights`: risk insights as the operations seed names them
//! (`/api/v1/aiInsights`).
//!
//! - `GET` lists, newest first, with `risk_level`, `status`,
//!   `workflow_id`, `entity`, `limit` (≤ 100) and `cursor`;
//!   `GET /high-risk?threshold=` (default 0.7) those scored at least the
//!   threshold; `GET /workflow/{workflow_id}` one workflow's; `GET /{id}`
//!   one. Each caller sees the insights about what they may see (admins
//!   and auditors: all).
//! - `POST` (admins) raises one by hand → `201`.
//! - `PATCH /{id}` `{status: acknowledged | resolved, note?}` (admins,
//!   and approvers on what they may see) → the insight after; an illegal
//!   move is `409`; `If-Match` honoured.
//! - `DELETE /{id}` (admins) → `204`.

pub use opsflow_platform::api::*;

use crate::domain::insight::InsightStatus;
use crate::domain::RiskLevel;
use crate::permissions;
use crate::service::manage::{self, NewInsight};
use crate::store::{InsightFilter, InsightListing, InsightRecord};
use crate::view::insight_view;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::error::{ApiError, ApiResult, Validator};
use opsflow_platform::events::Actor;
use opsflow_platform::http::{
    check_version, json, no_content, only_query_params, parse_json, path_param, query_param,
    with_etag, with_location, RequestMeta, DEFAULT_BODY_LIMIT,
};
use opsflow_platform::{clock, Api};
use serde::Deserialize;

pub async fn handle(api: &Api, req: Request) -> Response<Body> {
    serve(api, req, route).await
}

async fn route(app: &Api, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    principal.require(permissions::INSIGHTS_READ)?;
    match meta.route_key.as_str() {
        "GET /api/v1/aiInsights" => list(app, &principal, &req, Listing::All).await,
        "GET /api/v1/aiInsights/high-risk" => list(app, &principal, &req, Listing::HighRisk).await,
        "GET /api/v1/aiInsights/workflow/{workflow_id}" => {
            list(app, &principal, &req, Listing::Workflow).await
        }
        "POST /api/v1/aiInsights" => {
            principal.require(permissions::INSIGHTS_MANAGE)?;
            let scope = format!("insights-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                create(app, &principal, &meta, &req)
            })
            .await
        }
        "GET /api/v1/aiInsights/{id}" => {
            let record = visible(app, &principal, &req).await?;
            shown(StatusCode::OK, &record)
        }
        "PATCH /api/v1/aiInsights/{id}" => {
            principal.require(permissions::INSIGHTS_REVIEW)?;
            review(app, &principal, &meta, &req).await
        }
        "DELETE /api/v1/aiInsights/{id}" => {
            principal.require(permissions::INSIGHTS_MANAGE)?;
            let record = visible(app, &principal, &req).await?;
            check_version(&req, None, record.version, "insight")?;
            manage::delete(
                &app.store,
                Actor::from(&principal),
                &record,
                &meta.correlation_id,
            )
            .await?;
            no_content()
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

/// Insight `{id}`, if the caller may see it.
async fn visible(app: &Api, principal: &Principal, req: &Request) -> ApiResult<InsightRecord> {
    let missing = || ApiError::NotFound("no such insight".into());
    let id = EntityId::parse(path_param(req, "id")?).map_err(|_| missing())?;
    Ok(manage::insight_for(&app.store, principal, &id).await?)
}

fn shown(status: StatusCode, record: &InsightRecord) -> ApiReply {
    Ok(with_etag(
        json(status, &insight_view(record))?,
        record.version,
    ))
}

/// Which listing a route is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    All,
    HighRisk,
    Workflow,
}

/// The default `threshold` of `high-risk`.
pub const HIGH_RISK_THRESHOLD: f64 = 0.7;

/// An entity kind as a filter names it.
fn entity_kind(text: &str) -> Result<String, String> {
    let valid = (1..=32).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    valid
        .then(|| text.to_owned())
        .ok_or_else(|| "must be an entity kind such as approval (a-z and _, 1–32)".to_owned())
}

fn workflow_id(text: &str) -> Result<String, String> {
    EntityId::parse(text).map(|id| id.to_string())
}

async fn list(app: &Api, principal: &Principal, req: &Request, listing: Listing) -> ApiReply {
    let mut allowed = vec!["risk_level", "status", "entity", "limit", "cursor"];
    match listing {
        Listing::All => allowed.push("workflow_id"),
        Listing::HighRisk => allowed.extend(["threshold", "workflow_id"]),
        Listing::Workflow => {}
    }
    only_query_params(req, &allowed)?;
    let mut v = Validator::new();
    let parsed = |name: &'static str| query_param(req, name);
    let risk_level =
        parsed("risk_level")?.and_then(|raw| v.check("risk_level", RiskLevel::parse(raw)));
    let status = parsed("status")?.and_then(|raw| v.check("status", InsightStatus::parse(raw)));
    let entity = parsed("entity")?.and_then(|raw| v.check("entity", entity_kind(raw)));
    let workflow = match listing {
        Listing::Workflow => {
            let raw = path_param(req, "workflow_id")?;
            v.check("workflow_id", workflow_id(raw))
        }
        _ => parsed("workflow_id")?.and_then(|raw| v.check("workflow_id", workflow_id(raw))),
    };
    let min_score = match listing {
        Listing::HighRisk => {
            let raw = parsed("threshold")?;
            let threshold = raw.map_or(Ok(HIGH_RISK_THRESHOLD), |raw| {
                raw.parse::<f64>()
                    .ok()
                    .filter(|t| (0.0..=1.0).contains(t))
                    .ok_or_else(|| "must be a number from 0 to 1".to_owned())
            });
            v.check("threshold", threshold)
        }
        _ => None,
    };
    v.finish()?;
    let filter = InsightFilter {
        risk_level,
        status,
        workflow_id: workflow,
        entity,
        min_score,
    };
    let scope = format!("insights:{listing:?}:{filter:?}");
    let store = &app.store;
    paged_by_key(
        app,
        req,
        &scope,
        |limit, after| async move { visible_page(store, principal, &filter, limit, after).await },
        insight_view,
    )
    .await
}

/// How many reads a listing makes to fill a page with what its caller
/// may see.
const FILL_ROUNDS: usize = 10;

/// A page of the insights `filter` keeps that `principal` may see, newest
/// first: read on until the page is full, so that a page ends at an
/// insight the caller sees (and its cursor names that one), or at the
/// end; only past [`FILL_ROUNDS`] reads does a page come back short.
async fn visible_page(
    store: &opsflow_platform::store::Store,
    principal: &Principal,
    filter: &InsightFilter,
    limit: usize,
    mut after: Option<String>,
) -> Result<(Vec<InsightRecord>, Option<String>), opsflow_platform::store::StoreError> {
    let mut shown = Vec::with_capacity(limit);
    for _ in 0..FILL_ROUNDS {
        let (records, next) = store.list_insights(filter, limit, after.as_deref()).await?;
        let count = records.len();
        for (index, record) in records.into_iter().enumerate() {
            if manage::may_see(store, principal, &record).await? {
                shown.push(record);
                if shown.len() == limit {
                    // Nothing follows the last of the last page.
                    let at_end = index + 1 == count && next.is_none();
                    let last = shown
                        .last()
                        .filter(|_| !at_end)
                        .map(|r| crate::store::insights::insight_pk(&r.id));
                    return Ok((shown, last));
                }
            }
        }
        match next {
            Some(next) => after = Some(next),
            None => return Ok((shown, None)),
        }
    }
    Ok((shown, after))
}

/// An insight raised by hand.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateInsight {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    title: String,
    /// Up to 2000 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    description: Option<String>,
    /// What to do about it; up to 1000 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    recommendation: Option<String>,
    /// 0–1; the level follows from it.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1))]
    risk_score: f64,
    /// If given, it must be the score's level.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(LOW|MEDIUM|HIGH|CRITICAL)$"))]
    risk_level: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    workflow_id: Option<String>,
    /// The kind of entity it is about (`approval`, `workflow`, …).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z][a-z_]{0,31}$"))]
    entity: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    entity_id: Option<String>,
}

/// Text of at most `max` characters (and at least `min`), trimmed.
fn text(value: Option<&str>, min: usize, max: usize) -> Result<String, String> {
    let trimmed = value.unwrap_or_default().trim();
    let count = trimmed.chars().count();
    if count < min {
        return Err("must not be blank".into());
    }
    if count > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(trimmed.to_owned())
}

async fn create(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let body: CreateInsight = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let title = v.check("title", text(Some(&body.title), 1, 200));
    let description = v.check("description", text(body.description.as_deref(), 0, 2000));
    let recommendation = v.check(
        "recommendation",
        text(body.recommendation.as_deref(), 0, 1000),
    );
    let score = body.risk_score;
    let score_ok = score.is_finite() && (0.0..=1.0).contains(&score);
    if !score_ok {
        v.push("risk_score", "must be a number from 0 to 1");
    }
    if let Some(raw) = &body.risk_level {
        match RiskLevel::parse(raw) {
            Ok(level) if score_ok && level != RiskLevel::of(score) => v.push(
                "risk_level",
                format!(
                    "is {} for a score of {score}",
                    RiskLevel::of(score).as_str()
                ),
            ),
            Ok(_) => {}
            Err(message) => v.push("risk_level", message),
        }
    }
    let workflow = body
        .workflow_id
        .as_deref()
        .and_then(|raw| v.check("workflow_id", workflow_id(raw)));
    let entity = body
        .entity
        .as_deref()
        .and_then(|raw| v.check("entity", entity_kind(raw)));
    let entity_id = body
        .entity_id
        .as_deref()
        .and_then(|raw| v.check("entity_id", text(Some(raw), 1, 200)));
    if body.entity.is_some() != body.entity_id.is_some() {
        v.push("entity_id", "entity and entity_id go together");
    }
    v.finish()?;
    let (Some(title), Some(description), Some(recommendation)) =
        (title, description, recommendation)
    else {
        return Err(ApiError::invalid_field("title", "is invalid"));
    };
    let new = NewInsight {
        title,
        description,
        recommendation,
        risk_score: score,
        workflow_id: workflow,
        entity,
        entity_id,
    };
    let record = manage::raise(
        &app.store,
        Actor::from(principal),
        new,
        &meta.correlation_id,
        clock::now(),
    )
    .await?;
    let reply = shown(StatusCode::CREATED, &record)?;
    Ok(with_location(
        reply,
        &format!("/api/v1/aiInsights/{}", record.id),
    ))
}

/// A review of an insight.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewInsight {
    /// `acknowledged` or `resolved` (any case).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(acknowledged|resolved|ACKNOWLEDGED|RESOLVED)$")
    )]
    status: String,
    /// Why, up to 1000 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    note: Option<String>,
    /// The version read (as `If-Match`); stale → 409.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    version: Option<u64>,
}

async fn review(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let body: ReviewInsight = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let to = match InsightStatus::parse(&body.status) {
        Ok(InsightStatus::Open) => {
            v.push("status", "must be acknowledged or resolved");
            None
        }
        parsed => v.check("status", parsed),
    };
    let note = v.check("note", text(body.note.as_deref(), 0, 1000));
    v.finish()?;
    let (Some(to), Some(note)) = (to, note) else {
        return Err(ApiError::invalid_field("status", "is invalid"));
    };
    let record = visible(app, principal, req).await?;
    if !manage::may_review(&app.store, principal, &record).await? {
        return Err(ApiError::Forbidden(
            "only an admin, or an approver who may decide the request, reviews this insight".into(),
        ));
    }
    check_version(req, body.version, record.version, "insight")?;
    let after = manage::review(
        &app.store,
        Actor::from(principal),
        &record,
        to,
        note,
        &meta.correlation_id,
        clock::now(),
    )
    .await?;
    shown(StatusCode::OK, &after)
}
