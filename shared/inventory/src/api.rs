//! `inventory`: every signed-in user reads the SKUs; admins create them,
//! change them and adjust their stock (`/api/v1/inventory`).
//!
//! - `GET` lists every SKU by code; `GET /low-stock` those below their
//!   threshold; both with `limit` (≤ 100) and `cursor`.
//! - `POST` `{sku, name, unit_price, quantity?, low_stock_threshold?}` →
//!   `201` (a taken code is `409`; an `Idempotency-Key` makes a retry
//!   return the first answer).
//! - `GET /{sku}`; `PATCH /{sku}` sets `name`, `unit_price`,
//!   `low_stock_threshold` (`If-Match` or `version`: `412`/`409` when
//!   stale; without either, applied to the SKU as it is, whatever orders
//!   did to its stock meanwhile).
//! - `POST /{sku}/adjust` `{delta, reason}` moves the stock (never below
//!   zero: `409` saying how many units are missing), with its reason in
//!   the audit trail; an `Idempotency-Key` makes a retry return the first
//!   answer instead of moving the stock twice.

pub use opsflow_platform::api::*;

use crate::domain::{
    bounded, delta, Reason, Sku, SkuName, DEFAULT_LOW_STOCK_THRESHOLD, MAX_QUANTITY, MAX_UNIT_PRICE,
};
use crate::permissions;
use crate::service::{self, Changes, InventoryError, NewSku};
use crate::store::{SkuRecord, SkuStore};
use crate::view::sku_view;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use opsflow_platform::auth::Principal;
use opsflow_platform::error::{ApiError, ApiResult, Validator};
use opsflow_platform::events::Actor;
use opsflow_platform::http::{
    check_version, json, only_query_params, parse_json, path_param, with_etag, with_location,
    RequestMeta, DEFAULT_BODY_LIMIT,
};
use opsflow_platform::Api;
use serde::Deserialize;

pub async fn handle(app: &Api, req: Request) -> Response<Body> {
    serve(app, req, route).await
}

async fn route(app: &Api, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    match meta.route_key.as_str() {
        "GET /api/v1/inventory" => {
            principal.require(permissions::INVENTORY_READ)?;
            list(app, &req, false).await
        }
        "GET /api/v1/inventory/low-stock" => {
            principal.require(permissions::INVENTORY_READ)?;
            list(app, &req, true).await
        }
        "POST /api/v1/inventory" => {
            principal.require(permissions::INVENTORY_MANAGE)?;
            let scope = format!("inventory-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                create(app, &principal, &meta, &req)
            })
            .await
        }
        "GET /api/v1/inventory/{sku}" => {
            principal.require(permissions::INVENTORY_READ)?;
            let record = existing(app, &req).await?;
            shown(StatusCode::OK, &record)
        }
        "PATCH /api/v1/inventory/{sku}" => {
            principal.require(permissions::INVENTORY_MANAGE)?;
            change(app, &principal, &meta, &req).await
        }
        "POST /api/v1/inventory/{sku}/adjust" => {
            principal.require(permissions::INVENTORY_MANAGE)?;
            // A move retried after a timeout must not move twice.
            let scope = format!("inventory-adjust#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                adjust(app, &principal, &meta, &req)
            })
            .await
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

/// The SKU the path names (a code that cannot be one names nothing: 404).
fn sku_in_path(req: &Request) -> ApiResult<Sku> {
    Sku::parse(path_param(req, "sku")?).map_err(|_| InventoryError::NotFound.into())
}

async fn existing(app: &Api, req: &Request) -> ApiResult<SkuRecord> {
    Ok(service::sku(&app.store, &sku_in_path(req)?).await?)
}

fn shown(status: StatusCode, record: &SkuRecord) -> ApiReply {
    Ok(with_etag(json(status, &sku_view(record))?, record.version))
}

async fn list(app: &Api, req: &Request, low: bool) -> ApiReply {
    only_query_params(req, &["limit", "cursor"])?;
    let scope = format!("inventory:low={low}");
    paged_by_key(
        app,
        req,
        &scope,
        |limit, after| async move { app.store.list_skus(low, limit, after.as_deref()).await },
        sku_view,
    )
    .await
}

/// A new SKU.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateSku {
    /// 2–32 of `A–Z`, `0–9`, `-`, starting with a letter or digit; any
    /// case (kept in upper case).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 2,
            max_length = 32,
            pattern = "^[A-Za-z0-9][A-Za-z0-9-]{1,31}$",
            example = "DESK-120"
        )
    )]
    sku: String,
    /// 1–200 characters, one line.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    name: String,
    /// Price of one unit in minor units (cents), 0 to 10 000 000 000.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10_000_000_000_i64))]
    unit_price: i64,
    /// Units in stock to start with, 0 (default) to 1 000 000 000.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
    quantity: Option<i64>,
    /// Default 20.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
    low_stock_threshold: Option<i64>,
}

async fn create(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let body: CreateSku = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let sku = v.check("sku", Sku::parse(&body.sku));
    let name = v.check("name", SkuName::parse(&body.name));
    let unit_price = v.check("unit_price", bounded(body.unit_price, MAX_UNIT_PRICE));
    let quantity = v.check(
        "quantity",
        bounded(body.quantity.unwrap_or(0), MAX_QUANTITY),
    );
    let threshold = v.check(
        "low_stock_threshold",
        bounded(
            body.low_stock_threshold
                .unwrap_or(DEFAULT_LOW_STOCK_THRESHOLD),
            MAX_QUANTITY,
        ),
    );
    v.finish()?;
    let (Some(sku), Some(name), Some(unit_price), Some(quantity), Some(low_stock_threshold)) =
        (sku, name, unit_price, quantity, threshold)
    else {
        return Err(ApiError::bad_request("body", "is not a SKU"));
    };
    let new = NewSku {
        sku,
        name,
        quantity,
        unit_price,
        low_stock_threshold,
    };
    let record = service::create(
        &app.store,
        &Actor::from(principal),
        &meta.correlation_id,
        new,
    )
    .await?;
    let reply = shown(StatusCode::CREATED, &record)?;
    Ok(with_location(
        reply,
        &format!("/api/v1/inventory/{}", record.sku),
    ))
}

/// A change to a SKU: at least one field besides `version`.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateSku {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10_000_000_000_i64))]
    unit_price: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
    low_stock_threshold: Option<i64>,
    /// The version the change expects (stale: 409), like `If-Match`.
    version: Option<u64>,
}

async fn change(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let record = existing(app, req).await?;
    let body: UpdateSku = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let changes = Changes {
        name: v.check_opt("name", body.name.as_deref(), SkuName::parse),
        unit_price: v.check_opt("unit_price", body.unit_price, |p| {
            bounded(p, MAX_UNIT_PRICE)
        }),
        low_stock_threshold: v.check_opt("low_stock_threshold", body.low_stock_threshold, |t| {
            bounded(t, MAX_QUANTITY)
        }),
    };
    if body.name.is_none() && body.unit_price.is_none() && body.low_stock_threshold.is_none() {
        v.push(
            "body",
            "must set at least one of name, unit_price, low_stock_threshold",
        );
    }
    v.finish()?;
    check_version(req, body.version, record.version, "SKU")?;
    let actor = Actor::from(principal);
    let pinned = body.version.is_some() || req.headers().contains_key(http::header::IF_MATCH);
    let after = if pinned {
        service::update(&app.store, &actor, &meta.correlation_id, &record, changes).await?
    } else {
        service::update_current(
            &app.store,
            &actor,
            &meta.correlation_id,
            &record.sku,
            changes,
        )
        .await?
    };
    shown(StatusCode::OK, &after)
}

/// A move of stock.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct AdjustStock {
    /// Units in (positive) or out (negative); not 0.
    #[cfg_attr(feature = "openapi", schema(minimum = -1_000_000_000, maximum = 1_000_000_000))]
    delta: i64,
    /// Why (1–500 characters, one line): recorded in the audit trail.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    reason: String,
}

async fn adjust(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let sku = existing(app, req).await?.sku;
    let body: AdjustStock = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let delta = v.check("delta", delta(body.delta));
    let reason = v.check("reason", Reason::parse(&body.reason));
    v.finish()?;
    let (Some(delta), Some(reason)) = (delta, reason) else {
        return Err(ApiError::bad_request("body", "is not an adjustment"));
    };
    let after = service::adjust(
        &app.store,
        &Actor::from(principal),
        &meta.correlation_id,
        &sku,
        delta,
        &reason,
    )
    .await?;
    shown(StatusCode::OK, &after)
}
