//! A subscription's delivery log (`/api/v1/webhooks/{id}/deliveries`),
//! admins only:
//! - `GET …/deliveries`: newest first, paged; each delivery with its
//!   status and every attempt (time, outcome, the
//!   receiver's status, latency, the first KiB of its answer);
//! - `GET …/deliveries/{delivery_id}`: one, with the payload it sends;
//! - `POST …/deliveries/{delivery_id}/redeliver`: the same payload again as
//!   a new delivery (`202`, its id), once the original has ended and while
//!   the subscription is active (else `409`); an `Idempotency-Key` makes a
//!   retry answer the same delivery.

use super::{paged_by_key, ApiReply, Webhooks};
use crate::service::deliveries as service;
use crate::service::WebhookError;
use crate::store::deliveries::DeliveryStore;
use crate::store::subscriptions::SubscriptionRecord;
use crate::view::{delivery_summary, delivery_view};
use http::StatusCode;
use lambda_http::Request;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::error::{ApiError, ApiResult};
use opsflow_platform::events::Actor;
use opsflow_platform::http::{json, only_query_params, path_param, with_location, RequestMeta};
use serde_json::json as value;

/// `route` of a request under `…/deliveries`, for `subscription`.
pub(super) async fn route(
    ctx: &Webhooks,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
    subscription: &SubscriptionRecord,
) -> ApiReply {
    match meta.route_key.as_str() {
        "GET /api/v1/webhooks/{id}/deliveries" => list(ctx, req, subscription).await,
        "GET /api/v1/webhooks/{id}/deliveries/{delivery_id}" => {
            let record =
                service::delivery(&ctx.app.store, subscription, &delivery_id(req)?).await?;
            json(StatusCode::OK, &delivery_view(&record))
        }
        "POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver" => {
            super::subscriptions::once(ctx, principal, meta, req, || {
                redeliver(ctx, principal, meta, req, subscription)
            })
            .await
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

async fn redeliver(
    ctx: &Webhooks,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
    subscription: &SubscriptionRecord,
) -> ApiReply {
    let original = service::delivery(&ctx.app.store, subscription, &delivery_id(req)?).await?;
    let record = service::redeliver(
        &ctx.app.store,
        Actor::from(principal),
        &meta.correlation_id,
        subscription,
        &original,
    )
    .await?;
    let body = value!({"webhook_id": subscription.id, "delivery_id": record.id});
    let response = json(StatusCode::ACCEPTED, &body)?;
    let location = format!(
        "/api/v1/webhooks/{}/deliveries/{}",
        subscription.id, record.id
    );
    Ok(with_location(response, &location))
}

fn delivery_id(req: &Request) -> ApiResult<EntityId> {
    EntityId::parse(path_param(req, "delivery_id")?)
        .map_err(|_| WebhookError::NotFound("delivery").into())
}

async fn list(ctx: &Webhooks, req: &Request, subscription: &SubscriptionRecord) -> ApiReply {
    only_query_params(req, &["limit", "cursor"])?;
    let scope = format!("webhook-deliveries:{}", subscription.id);
    let webhook = subscription.id;
    paged_by_key(
        &ctx.app,
        req,
        &scope,
        |limit, after| async move {
            ctx.app
                .store
                .list_deliveries(&webhook, limit, after.as_deref())
                .await
        },
        delivery_summary,
    )
    .await
}
