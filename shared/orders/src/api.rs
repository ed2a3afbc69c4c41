//! `orders`: every signed-in user places orders and follows their own;
//! admins see and move every order (`/api/v1/orders`).
//!
//! - `POST` `{items: [{sku, quantity}], notes?}` → `201` `pending`, priced
//!   by the server (a client's price is an unknown field: 400), its stock
//!   taken in the same transaction: `409` naming the SKUs short of units,
//!   `422` naming unknown SKUs, duplicate lines or more than 25 lines. An
//!   `Idempotency-Key` makes a retry return the first answer.
//! - `GET` lists the caller's orders (an admin's: everyone's, or one
//!   user's with `user_id`), newest first, with `status`, `from`/`to`
//!   (RFC 3339 times, both included), `limit` (≤ 100) and `cursor`;
//!   `GET /{id}` shows one (another user's is 404).
//! - `GET /analytics` (admins) `?from=&to=` (days, `YYYY-MM-DD`, UTC; the
//!   last 30 by default, at most 366): counts and revenue by status and
//!   day of the orders placed in the range, and the SKUs low on stock,
//!   from counters the stats aggregator keeps from events.
//! - `PATCH /{id}` `{status?, notes?}` (`If-Match` or `version`): a move
//!   the status map does not allow is `409` naming the allowed ones; a
//!   move the caller may not make `403`; processing an order a rule holds
//!   for approval `409` naming the hold. `{release_hold: true}` (admins,
//!   alone) lifts the hold.
//! - `GET /{id}/timeline`: every change of the order, oldest first.
//! - `DELETE /{id}` (admins; `If-Match`): a `cancelled` or `delivered`
//!   order, with its timeline (`409` for any other status); its audit
//!   records stay.

pub use opsflow_platform::api::*;

use crate::domain::{line_quantity, LineRequest, Notes, OrderStatus, MAX_LINES};
use crate::permissions;
use crate::service::{self, holds, OrdersError};
use crate::store::orders::OrderFilter;
use crate::store::{OrderRecord, OrderStore};
use crate::view::{order_view, timeline_view};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use opsflow_inventory::domain::Sku;
use opsflow_platform::auth::Principal;
use opsflow_platform::clock;
use opsflow_platform::domain::EntityId;
use opsflow_platform::error::{ApiError, ApiResult, Validator};
use opsflow_platform::http::{
    check_version, json, no_content, only_query_params, parse_json, path_param, query_param,
    time_param, with_etag, with_location, Page, RequestMeta, DEFAULT_BODY_LIMIT,
};
use opsflow_platform::Api;
use serde::Deserialize;
use time::Date;

pub async fn handle(app: &Api, req: Request) -> Response<Body> {
    serve(app, req, route).await
}

async fn route(app: &Api, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    principal.require(permissions::ORDERS_READ)?;
    match meta.route_key.as_str() {
        "GET /api/v1/orders" => list(app, &principal, &req).await,
        "POST /api/v1/orders" => {
            principal.require(permissions::ORDERS_PLACE)?;
            let scope = format!("orders-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                place(app, &principal, &meta, &req)
            })
            .await
        }
        "GET /api/v1/orders/analytics" => {
            principal.require(permissions::ORDERS_MANAGE)?;
            let (from, to) = analytics_range(&req)?;
            json(
                StatusCode::OK,
                &opsflow_stats::service::order_analytics(&app.store, from, to).await?,
            )
        }
        "GET /api/v1/orders/{id}" => {
            let record = visible(app, &principal, &req).await?;
            shown(StatusCode::OK, &record)
        }
        "PATCH /api/v1/orders/{id}" => change(app, &principal, &meta, &req).await,
        "DELETE /api/v1/orders/{id}" => {
            // Another user's order is 404 (not theirs to see), a user's own 403.
            let record = visible(app, &principal, &req).await?;
            principal.require(permissions::ORDERS_MANAGE)?;
            check_version(&req, None, record.version, "order")?;
            service::delete(&app.store, &principal, &meta.correlation_id, &record).await?;
            no_content()
        }
        "GET /api/v1/orders/{id}/timeline" => {
            only_query_params(&req, &[])?;
            let record = visible(app, &principal, &req).await?;
            let entries = app.store.timeline(&record.id).await?;
            json(
                StatusCode::OK,
                &Page {
                    items: entries.iter().map(timeline_view).collect(),
                    next_cursor: None,
                },
            )
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

async fn visible(app: &Api, principal: &Principal, req: &Request) -> ApiResult<OrderRecord> {
    let id = EntityId::parse(path_param(req, "id")?)
        .map_err(|_| ApiError::from(OrdersError::NotFound))?;
    Ok(service::order_for(&app.store, principal, &id).await?)
}

fn shown(status: StatusCode, record: &OrderRecord) -> ApiReply {
    Ok(with_etag(
        json(status, &order_view(record))?,
        record.version,
    ))
}

/// The longest range of days the analytics cover.
pub const MAX_ANALYTICS_DAYS: i64 = 366;
/// The days the analytics cover when the client names none: 30.
const DEFAULT_ANALYTICS_DAYS: i64 = 30;

/// A query parameter holding a day, `YYYY-MM-DD` (400 when unreadable).
fn date_param(req: &Request, name: &str) -> ApiResult<Option<Date>> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    query_param(req, name)?
        .map(|raw| {
            Date::parse(raw, &format)
                .map_err(|_| ApiError::bad_request(name, "must be a day, YYYY-MM-DD"))
        })
        .transpose()
}

/// The analytics' days: `from` and `to` (both included; UTC), by default
/// the 30 days up to today; `from` after `to` or a range longer than
/// [`MAX_ANALYTICS_DAYS`] is 422 naming `from`.
fn analytics_range(req: &Request) -> ApiResult<(Date, Date)> {
    only_query_params(req, &["from", "to"])?;
    let to = date_param(req, "to")?.unwrap_or_else(|| clock::now().date());
    let from = match date_param(req, "from")? {
        Some(from) => from,
        None => to
            .checked_sub(time::Duration::days(DEFAULT_ANALYTICS_DAYS - 1))
            .unwrap_or(Date::MIN),
    };
    if from > to {
        return Err(ApiError::invalid_field("from", "must not be after to"));
    }
    if (to - from).whole_days() >= MAX_ANALYTICS_DAYS {
        return Err(ApiError::invalid_field(
            "from",
            format!("must be within {MAX_ANALYTICS_DAYS} days of to"),
        ));
    }
    Ok((from, to))
}

async fn list(app: &Api, principal: &Principal, req: &Request) -> ApiReply {
    only_query_params(req, &["status", "user_id", "from", "to", "limit", "cursor"])?;
    let from = time_param(req, "from")?;
    let to = time_param(req, "to")?;
    if from.zip(to).is_some_and(|(from, to)| from > to) {
        return Err(ApiError::invalid_field("from", "must not be after to"));
    }
    let status = query_param(req, "status")?
        .map(|raw| OrderStatus::parse(raw).map_err(|m| ApiError::invalid_field("status", m)))
        .transpose()?;
    let asked = query_param(req, "user_id")?
        .map(|raw| EntityId::parse(raw).map_err(|m| ApiError::invalid_field("user_id", m)))
        .transpose()?;
    let user_id = if principal.can(permissions::ORDERS_MANAGE) {
        asked
    } else {
        // A user sees their own orders; naming anyone else is refused.
        if asked.is_some_and(|id| id != principal.user_id) {
            return Err(ApiError::Forbidden(
                "only admins list another user's orders".into(),
            ));
        }
        Some(principal.user_id)
    };
    let filter = OrderFilter {
        user_id,
        status,
        from,
        to,
    };
    let scope = format!("orders:{filter:?}");
    paged_by_key(
        app,
        req,
        &scope,
        |limit, after| async move { app.store.list_orders(filter, limit, after.as_deref()).await },
        order_view,
    )
    .await
}

/// One line of a new order: a SKU and its units (the price is the
/// inventory's).
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = NewOrderLine))]
#[serde(deny_unknown_fields)]
pub(crate) struct NewLine {
    /// A SKU's code, in any case: 2–32 of `A–Z`, `0–9` and `-`, starting
    /// with a letter or digit.
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
    /// 1–10 000.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000))]
    quantity: i64,
}

/// A new order.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct PlaceOrder {
    /// 1–25 lines, each SKU once.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 25))]
    items: Vec<NewLine>,
    /// Up to 1000 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    notes: Option<String>,
}

async fn place(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let body: PlaceOrder = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    if body.items.is_empty() || body.items.len() > MAX_LINES {
        v.push("items", format!("must hold 1 to {MAX_LINES} lines"));
    }
    let mut lines = Vec::new();
    for (i, line) in body.items.iter().enumerate() {
        let sku = v.check(&format!("items[{i}].sku"), Sku::parse(&line.sku));
        let quantity = v.check(
            &format!("items[{i}].quantity"),
            line_quantity(line.quantity),
        );
        if let Some(sku) = &sku {
            if lines.iter().any(|l: &LineRequest| l.sku == *sku) {
                v.push(&format!("items[{i}].sku"), "appears on an earlier line");
            }
        }
        if let (Some(sku), Some(quantity)) = (sku, quantity) {
            lines.push(LineRequest { sku, quantity });
        }
    }
    let notes = v.check("notes", Notes::parse(body.notes.as_deref().unwrap_or("")));
    v.finish()?;
    let notes = notes.ok_or_else(|| ApiError::invalid_field("notes", "is not valid"))?;
    let record = service::place(&app.store, principal, &meta.correlation_id, lines, notes).await?;
    let reply = shown(StatusCode::CREATED, &record)?;
    Ok(with_location(
        reply,
        &format!("/api/v1/orders/{}", record.id),
    ))
}

/// A change to an order: a status, notes, or both.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeOrder {
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::domain::OrderStatus>))]
    status: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    notes: Option<String>,
    /// `true` (admins; alone): lifts the order's hold, as its approval
    /// would.
    release_hold: Option<bool>,
    /// The version the change expects (stale: 409), like `If-Match`.
    version: Option<u64>,
}

async fn change(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let record = visible(app, principal, req).await?;
    principal.require(permissions::ORDERS_PLACE)?;
    let body: ChangeOrder = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let status = v.check_opt("status", body.status.as_deref(), OrderStatus::parse);
    let notes = v.check_opt("notes", body.notes.as_deref(), Notes::parse);
    if body.release_hold.is_some() {
        principal.require(permissions::ORDERS_MANAGE)?;
    }
    match body.release_hold {
        Some(false) => v.push("release_hold", "must be true, or left out"),
        Some(true) if body.status.is_some() || body.notes.is_some() => {
            v.push(
                "release_hold",
                "goes alone: release first, then change the order",
            );
        }
        None if body.status.is_none() && body.notes.is_none() => {
            v.push("body", "must set status, notes or release_hold");
        }
        _ => {}
    }
    v.finish()?;
    if body.release_hold == Some(true) {
        check_version(req, body.version, record.version, "order")?;
        let after = holds::release(&app.store, principal, &meta.correlation_id, &record).await?;
        return shown(StatusCode::OK, &after);
    }
    check_version(req, body.version, record.version, "order")?;
    let after = service::change(
        &app.store,
        principal,
        &meta.correlation_id,
        &record,
        status,
        notes,
    )
    .await?;
    shown(StatusCode::OK, &after)
}
