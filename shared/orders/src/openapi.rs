//! The OpenAPI description of the `orders` function's routes, built from
//! the request types of [`crate::api`] and the views of [`crate::view`];
//! the domain's named value (an order's status) is given a schema here,
//! listing its type's `ALL`. `infra/openapi` merges it into
//! `docs/openapi.json`.
//!
//! Invariant: one operation per route of the function in `template.yaml`,
//! each answering exactly the statuses its handler can (401, 503 and 500
//! are added by the kernel's `finish`): every signed-in caller lists,
//! places, reads and changes their own orders, admins every order; an id
//! that is not a UUID, names no order, or names another user's order (to
//! anyone but an admin) is 404, before anything else; an unknown or
//! repeated query parameter, a malformed `limit` or `cursor`, a malformed
//! body (an unknown field, such as a price sent by the client, or a wrong
//! type), `If-Match` or `Idempotency-Key` is 400, a body over 64 KiB 413,
//! a body that is not JSON 415, invalid values (a `limit` outside 1–100,
//! an unknown `status`, a `user_id` that is not a UUID, a bad line, an
//! unknown SKU, a SKU on two lines, no line or more than 25, notes past
//! 1000 characters, a change that sets nothing, an `Idempotency-Key`
//! reused for another body) 422; a non-admin listing another user's
//! orders, or making a move only admins make, is 403; a move the status
//! map does not allow (the answer names the allowed ones), SKUs short of
//! stock (named) on placing or re-opening, a stale `version`, a lost race
//! or a busy idempotency key is 409; a stale `If-Match` 412. So: `GET
//! /orders` 200, 400, 403, 422; `POST /orders` 201, 400, 409, 413, 415,
//! 422; `GET /orders/{id}` and `GET /orders/{id}/timeline` 200, 404;
//! `PATCH /orders/{id}` 200, 400, 403, 404, 409, 412, 413, 415, 422;
//! `GET /orders/analytics` (admins) 200, 400, 403, 422.

use crate::api::{ChangeOrder, PlaceOrder};
use crate::domain::{Notes, OrderStatus, MAX_LINES, MAX_LINE_QUANTITY};
use crate::view::{OrderView, TimelineView};
use opsflow_inventory::domain::{SkuName, MAX_UNIT_PRICE};
use opsflow_platform::http::Page;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdPath, IdempotencyKey, IfMatch, NotFound, PageParams,
    PayloadTooLarge, PreconditionFailed, Unprocessable, UnsupportedMediaType,
};
use opsflow_stats::view::OrderAnalytics;
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_orders,
    order_analytics,
    place_order,
    get_order,
    change_order,
    delete_order,
    get_order_timeline
))]
struct Routes;

/// The description of the module's routes.
pub fn doc() -> utoipa::openapi::OpenApi {
    Routes::openapi()
}

opsflow_platform::named_values! {
    OrderStatus as "OrderStatus" => "Where an order stands: `pending` → `processing` → \
                                     `shipped` → `delivered`; `pending`, `processing` or \
                                     `shipped` → `cancelled` (its stock given back); \
                                     `cancelled` → `pending` (re-opened, its stock taken \
                                     again). An order's owner may cancel it while it is \
                                     `pending`; admins make every move.",
}

// The bounds the request types and the views document are the domain's
// (the SKU codes they describe are held to `Sku::parse` by the API tests).
const _: () = assert!(MAX_LINES == 25);
const _: () = assert!(MAX_LINE_QUANTITY == 10_000);
const _: () = assert!(Notes::MAX_CHARS == 1000);
const _: () = assert!(SkuName::MAX_CHARS == 200);
const _: () = assert!(MAX_UNIT_PRICE == 10_000_000_000);

/// List orders
///
/// Newest first. Everyone signed in lists their own orders; admins list
/// every order, or one user's with `user_id`. `from` and `to` keep the
/// orders placed within those times (both included, to the millisecond of
/// `created_at`; `from` after `to` is 422). A page filtered by `status`
/// may hold fewer than `limit` orders while `next_cursor` is not `null`.
/// Any other query parameter is 400, as is a time that is not RFC 3339.
#[utoipa::path(
    get,
    path = "/api/v1/orders",
    operation_id = "listOrders",
    tag = "orders",
    security(("bearer" = [])),
    params(
        ("status" = Option<OrderStatus>, Query, description = "Only orders in this status."),
        ("user_id" = Option<String>, Query, format = "uuid",
            description = "Only this user's orders; others than admins may only name \
                           themselves (else 403)."),
        ("from" = Option<String>, Query, format = DateTime,
            description = "Only orders placed at or after this time (RFC 3339)."),
        ("to" = Option<String>, Query, format = DateTime,
            description = "Only orders placed at or before this time (RFC 3339)."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of orders.", body = Page<OrderView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_orders() {}

/// Get order analytics
///
/// Admins only. Counts and revenue (minor units; cancelled orders left
/// out of `revenue`) of the orders placed on the days `from`..`to` (UTC,
/// both included; the 30 days up to today by default, at most 366), by
/// the status they are in now and by day (every day listed), and the
/// number of SKUs low on stock now. Kept from events by the stats
/// aggregator, within about a second of each change; nothing is
/// recounted when read. A day that is not `YYYY-MM-DD` or another query
/// parameter is 400; `from` after `to` or a longer range 422.
#[utoipa::path(
    get,
    path = "/api/v1/orders/analytics",
    operation_id = "getOrderAnalytics",
    tag = "orders",
    security(("bearer" = [])),
    params(
        ("from" = Option<String>, Query, format = Date,
            description = "The first day (default: 29 days before `to`)."),
        ("to" = Option<String>, Query, format = Date,
            description = "The last day, included (default: today, UTC)."),
    ),
    responses(
        (status = 200, description = "The analytics.", body = OrderAnalytics),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn order_analytics() {}

/// Place an order
///
/// Anyone signed in but auditors (403: they change nothing); the caller
/// owns the order. 1–25 lines, each SKU
/// once (in any case), 1–10 000 units each; the server prices each line
/// from the inventory (a price sent by the client is an unknown field:
/// 400) and takes the stock in the same transaction as the order, which
/// starts `pending`. Each bad field is named (`items[1].sku` for an
/// unknown SKU or one already on an earlier line); SKUs short of stock
/// are named in a 409, and nothing is taken.
#[utoipa::path(
    post,
    path = "/api/v1/orders",
    operation_id = "placeOrder",
    tag = "orders",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = PlaceOrder, example = json!({
        "items": [
            {"sku": "DESK-120", "quantity": 2},
            {"sku": "CABLE-USBC", "quantity": 4}
        ],
        "notes": "Second floor, room 214"
    })),
    responses(
        (status = 201, description = "Placed: `pending`, priced, its stock taken.",
            body = OrderView,
            headers(
                ("location" = String, description = "`/api/v1/orders/{id}`"),
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
fn place_order() {}

/// Get an order
///
/// Its owner and admins; anyone else gets 404.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    operation_id = "getOrder",
    tag = "orders",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 200, description = "The order.", body = OrderView, headers(
            ("etag" = String, description = "The version, quoted (`\"3\"`)."),
        )),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_order() {}

/// Change an order
///
/// Its owner and admins (anyone else gets 404, whatever the body). Moves
/// the order to `status` and/or sets its `notes`, at least one of them; a
/// `status` it already has moves nothing. A move the status map does not
/// allow is 409, naming the statuses it allows; a move the caller may not
/// make is 403 (the owner may only cancel their own `pending` order, and
/// sets its notes in any status). Cancelling gives the stock back;
/// re-opening (`cancelled` → `pending`) takes it again, 409 naming the
/// SKUs short of units. An order a rule holds for approval (`hold`) is not
/// moved to `processing` (409 naming the hold); `{"release_hold": true}`,
/// alone, lifts the hold (admins; 409 when the order is not held). A stale
/// `If-Match` is 412, a stale `version` 409.
#[utoipa::path(
    patch,
    path = "/api/v1/orders/{id}",
    operation_id = "changeOrder",
    tag = "orders",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    request_body(content = ChangeOrder, example = json!({
        "status": "processing",
        "notes": "Picked by the Lyon warehouse",
        "version": 1
    })),
    responses(
        (status = 200, description = "The order after the change.", body = OrderView,
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
fn change_order() {}

/// Delete an order
///
/// Admins only: another user's order is 404 to a non-admin (not theirs to
/// see), their own 403. Only a `cancelled` or `delivered` order is deleted
/// (409 otherwise), with its timeline; its audit records stay. A stale
/// `If-Match` is 412.
#[utoipa::path(
    delete,
    path = "/api/v1/orders/{id}",
    operation_id = "deleteOrder",
    tag = "orders",
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
fn delete_order() {}

/// Get an order's timeline
///
/// Its owner and admins; anyone else gets 404. Every change of the order,
/// oldest first, in one page (`next_cursor` is always `null`): its
/// creation, each move and each change of its notes, with who made it.
/// It takes no query parameters (400).
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}/timeline",
    operation_id = "getOrderTimeline",
    tag = "orders",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 200, description = "The order's timeline.", body = Page<TimelineView>),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_order_timeline() {}
