//! `webhooks`: admins subscribe URLs to events (`/api/v1/webhooks`).
//!
//! - `POST` answers `201` with the signing secret, shown this once;
//!   `POST /{id}/rotate-secret` makes a new one (the old one signs beside
//!   it for 24 hours) and shows it once too.
//! - `GET` (a list, newest first, `?active=`; or one), `PATCH` (`url`,
//!   `description`, `events`, `topics`, `active`; `If-Match` or `version`)
//!   and `DELETE` never show a secret.
//! - `POST /{id}/ping` asks for a test delivery (`webhook.ping`) to that
//!   subscription alone: `202` with the delivery's id.
//! - `…/{id}/deliveries…`: the delivery log ([`super::deliveries`]).
//!
//! A URL is refused with `422` when the address policy refuses it (not
//! `https`, an address that is loopback, private, link-local…), and judged
//! again at every delivery by what its host resolves to then.

use super::{idempotency, paged, ApiReply, Webhooks};
use crate::domain::subscription::{Description, Interests};
use crate::domain::target::Target;
use crate::permissions;
use crate::service::subscriptions::{self as service, Changes, NewSubscription};
use crate::service::WebhookError;
use crate::store::subscriptions::{SubscriptionRecord, SubscriptionStore};
use crate::view::{subscription_view, WithSecret};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use opsflow_platform::auth::Principal;
use opsflow_platform::clock;
use opsflow_platform::domain::EntityId;
use opsflow_platform::error::{ApiError, ApiResult, Validator};
use opsflow_platform::events::Actor;
use opsflow_platform::http::{
    check_version, json, no_content, only_query_params, parse_json, path_param, query_param,
    with_etag, with_location, RequestMeta, DEFAULT_BODY_LIMIT,
};
use serde::Deserialize;
use serde_json::json as value;

pub async fn handle(ctx: &Webhooks, req: Request) -> Response<Body> {
    super::serve(ctx, req, route).await
}

async fn route(ctx: &Webhooks, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    principal.require(permissions::WEBHOOKS_MANAGE)?;
    match meta.route_key.as_str() {
        "GET /api/v1/webhooks" => list(ctx, &req).await,
        "POST /api/v1/webhooks" => {
            let scope = format!("webhooks-create#{}", principal.user_id);
            idempotency::idempotent(&ctx.app.store, &scope, &meta, &req, || {
                create(ctx, &principal, &meta, &req)
            })
            .await
        }
        "GET /api/v1/webhooks/{id}" => {
            let record = existing(ctx, &req).await?;
            shown(StatusCode::OK, &record)
        }
        "PATCH /api/v1/webhooks/{id}" => patch(ctx, &principal, &meta, &req).await,
        "DELETE /api/v1/webhooks/{id}" => {
            let record = existing(ctx, &req).await?;
            check_version(&req, None, record.version, "webhook subscription")?;
            service::delete(
                &ctx.app.store,
                actor(&principal),
                &meta.correlation_id,
                &record,
            )
            .await?;
            no_content()
        }
        // A retried rotation must not rotate twice (the second would drop
        // the secret receivers still hold): like every POST here, it takes
        // an `Idempotency-Key`.
        "POST /api/v1/webhooks/{id}/rotate-secret" => {
            once(ctx, &principal, &meta, &req, || {
                rotate(ctx, &principal, &meta, &req)
            })
            .await
        }
        "POST /api/v1/webhooks/{id}/ping" => {
            once(ctx, &principal, &meta, &req, || {
                ping(ctx, &principal, &meta, &req)
            })
            .await
        }
        key if key.starts_with("GET /api/v1/webhooks/{id}/deliveries")
            || key.starts_with("POST /api/v1/webhooks/{id}/deliveries/") =>
        {
            let record = existing(ctx, &req).await?;
            super::deliveries::route(ctx, &principal, &meta, &req, &record).await
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

/// `work`, at most once per `Idempotency-Key` of the caller on this path.
pub(super) async fn once<F, Fut>(
    ctx: &Webhooks,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
    work: F,
) -> ApiReply
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiReply>,
{
    let scope = format!("webhooks#{}#{}", principal.user_id, req.uri().path());
    idempotency::idempotent(&ctx.app.store, &scope, meta, req, work).await
}

async fn rotate(
    ctx: &Webhooks,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiReply {
    let mut record = existing(ctx, req).await?;
    check_version(req, None, record.version, "webhook subscription")?;
    let secret = service::rotate_secret(
        &ctx.app.store,
        actor(principal),
        &meta.correlation_id,
        &mut record,
    )
    .await?;
    with_secret(StatusCode::OK, &record, secret.reveal())
}

async fn ping(
    ctx: &Webhooks,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiReply {
    let record = existing(ctx, req).await?;
    let delivery = service::ping(
        &ctx.app.store,
        actor(principal),
        &meta.correlation_id,
        &record,
    )
    .await?;
    let body = value!({"webhook_id": record.id, "delivery_id": delivery});
    let response = json(StatusCode::ACCEPTED, &body)?;
    let location = format!("/api/v1/webhooks/{}/deliveries/{delivery}", record.id);
    Ok(with_location(response, &location))
}

fn actor(principal: &Principal) -> Actor {
    Actor::from(principal)
}

async fn existing(ctx: &Webhooks, req: &Request) -> ApiResult<SubscriptionRecord> {
    let id = EntityId::parse(path_param(req, "id")?)
        .map_err(|_| ApiError::from(WebhookError::NotFound("webhook subscription")))?;
    Ok(service::subscription(&ctx.app.store, &id).await?)
}

fn shown(status: StatusCode, record: &SubscriptionRecord) -> ApiReply {
    let view = subscription_view(record, clock::now());
    Ok(with_etag(json(status, &view)?, record.version))
}

fn with_secret(status: StatusCode, record: &SubscriptionRecord, secret: String) -> ApiReply {
    let body = WithSecret {
        subscription: subscription_view(record, clock::now()),
        secret,
    };
    Ok(with_etag(json(status, &body)?, record.version))
}

async fn list(ctx: &Webhooks, req: &Request) -> ApiReply {
    only_query_params(req, &["active", "limit", "cursor"])?;
    let active = match query_param(req, "active")? {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(ApiError::invalid_field("active", "must be true or false")),
    };
    let scope = format!("webhooks:active={active:?}");
    let now = clock::now();
    paged(
        &ctx.app,
        req,
        &scope,
        |limit, start| ctx.app.store.list_subscriptions(active, limit, start),
        |record| subscription_view(record, now),
    )
    .await
}

/// A new subscription.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateSubscription {
    /// `https` (plain `http` only to an allow-listed host), at most 2048
    /// characters, no credentials or fragment, not reaching a loopback,
    /// private, link-local or otherwise non-public address.
    #[cfg_attr(feature = "openapi", schema(max_length = 2048))]
    url: String,
    /// Up to 500 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    description: Option<String>,
    /// Event-type patterns in the rules' trigger syntax (`approval.rejected`,
    /// `order.*`, `*`): up to 20, distinct. With `topics`, at least one in all.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = BTreeSet<opsflow_platform::openapi::EventPatternText>)
    )]
    events: Vec<String>,
    /// Topics of rules' `notify_webhook` actions: up to 20, distinct.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = BTreeSet<opsflow_platform::events::WebhookTopic>)
    )]
    topics: Vec<String>,
    /// Whether deliveries start at once (default `true`).
    active: Option<bool>,
}

fn check_target(v: &mut Validator, ctx: &Webhooks, url: &str) -> Option<Target> {
    v.check(
        "url",
        Target::parse(url, &ctx.allow).map_err(|e| e.to_string()),
    )
}

fn check_interests(v: &mut Validator, events: &[String], topics: &[String]) -> Option<Interests> {
    match Interests::parse(events, topics) {
        Ok(interests) => Some(interests),
        Err((field, message)) => {
            v.push(field, message);
            None
        }
    }
}

async fn create(
    ctx: &Webhooks,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiReply {
    let body: CreateSubscription = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let target = check_target(&mut v, ctx, &body.url);
    let description = v
        .check_opt(
            "description",
            body.description.as_deref(),
            Description::parse,
        )
        .unwrap_or_default();
    let interests = check_interests(&mut v, &body.events, &body.topics);
    v.finish()?;
    let (Some(target), Some(interests)) = (target, interests) else {
        return Err(ApiError::internal("validated input went missing"));
    };
    let new = NewSubscription {
        target,
        description,
        interests,
        active: body.active.unwrap_or(true),
    };
    let (record, secret) = service::create(
        &ctx.app.store,
        actor(principal),
        principal.user_id,
        &meta.correlation_id,
        new,
    )
    .await?;
    let response = with_secret(StatusCode::CREATED, &record, secret.reveal())?;
    Ok(with_location(
        response,
        &format!("/api/v1/webhooks/{}", record.id),
    ))
}

/// A change to a subscription: at least one field besides `version`.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateSubscription {
    /// As when created.
    #[cfg_attr(feature = "openapi", schema(max_length = 2048))]
    url: Option<String>,
    /// Up to 500 characters; `""` clears it.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    description: Option<String>,
    /// Replaces the patterns (the subscription keeps at least one pattern
    /// or topic).
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<BTreeSet<opsflow_platform::openapi::EventPatternText>>)
    )]
    events: Option<Vec<String>>,
    /// Replaces the topics.
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<BTreeSet<opsflow_platform::events::WebhookTopic>>)
    )]
    topics: Option<Vec<String>>,
    /// Turns deliveries on or off; turning them on forgets past failures.
    active: Option<bool>,
    /// The version the change expects (stale: 409), like `If-Match`.
    version: Option<u64>,
}

async fn patch(
    ctx: &Webhooks,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiReply {
    let mut record = existing(ctx, req).await?;
    let body: UpdateSubscription = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    if body.url.is_none()
        && body.description.is_none()
        && body.events.is_none()
        && body.topics.is_none()
        && body.active.is_none()
    {
        v.push(
            "body",
            "give at least one of url, description, events, topics, active",
        );
    }
    let target = body
        .url
        .as_deref()
        .and_then(|url| check_target(&mut v, ctx, url));
    let description = v.check_opt(
        "description",
        body.description.as_deref(),
        Description::parse,
    );
    // Each list alone, then the pair as the subscription would keep it.
    let events = body.events.clone().unwrap_or_else(|| record.events.clone());
    let topics = body.topics.clone().unwrap_or_else(|| record.topics.clone());
    check_interests(&mut v, &events, &topics);
    v.finish()?;
    check_version(req, body.version, record.version, "webhook subscription")?;
    let changes = Changes {
        target,
        description,
        events: body.events,
        topics: body.topics,
        active: body.active,
    };
    service::update(
        &ctx.app.store,
        actor(principal),
        &meta.correlation_id,
        &mut record,
        changes,
    )
    .await?;
    shown(StatusCode::OK, &record)
}
