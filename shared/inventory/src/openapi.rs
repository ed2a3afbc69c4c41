//! The OpenAPI description of the `inventory` function's routes, built
//! from the request types of [`crate::api`] and the view of
//! [`crate::view`]; the `{sku}` path parameter is given its format here,
//! the one [`crate::domain::Sku::parse`] accepts. `infra/openapi` merges
//! it into `docs/openapi.json`.
//!
//! Invariant: one operation per route of the function in `template.yaml`,
//! each answering exactly the statuses its handler can (401, 503 and 500
//! are added by the kernel's `finish`): every signed-in caller lists and
//! reads the SKUs; creating, changing and adjusting them is for admins
//! (403 for anyone else, before anything else); a code that cannot be a
//! SKU's, or names none, is 404; an unknown or repeated query parameter, a
//! malformed `limit` or `cursor`, a malformed body, `If-Match` or
//! `Idempotency-Key` is 400, a body over 64 KiB 413, a body that is not
//! JSON 415, invalid values (a `limit` outside 1–100, a field outside its
//! bounds, an adjustment that would take the stock past a billion units,
//! an `Idempotency-Key` reused for another body) 422; a taken code, an
//! adjustment that would take the stock below zero, a stale `version`, a
//! lost race or a busy idempotency key is 409; a stale `If-Match` 412
//! (`PATCH` only: adjustments read no `If-Match`).

use crate::api::{AdjustStock, CreateSku, UpdateSku};
use crate::domain::{Reason, SkuName, DEFAULT_LOW_STOCK_THRESHOLD, MAX_QUANTITY, MAX_UNIT_PRICE};
use crate::view::SkuView;
use opsflow_platform::http::Page;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, IfMatch, NotFound, PageParams,
    PayloadTooLarge, PreconditionFailed, Unprocessable, UnsupportedMediaType,
};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_inventory,
    list_low_stock,
    create_sku,
    get_sku,
    update_sku,
    adjust_stock,
))]
struct Routes;

/// The description of the module's routes.
pub fn doc() -> utoipa::openapi::OpenApi {
    Routes::openapi()
}

/// The `{sku}` path parameter.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct SkuPath {
    /// A SKU's code: 2–32 of `A–Z`, `0–9` and `-`, starting with a letter
    /// or digit, in any case (`desk-120` names `DESK-120`); a code that
    /// cannot be one, or that names no SKU, is 404.
    #[param(
        min_length = 2,
        max_length = 32,
        pattern = "^[A-Za-z0-9][A-Za-z0-9-]{1,31}$",
        example = "DESK-120"
    )]
    sku: String,
}

// The bounds the request types and the view document are the domain's
// (the codes they describe are held to `Sku::parse` by the API tests).
const _: () = assert!(MAX_QUANTITY == 1_000_000_000);
const _: () = assert!(MAX_UNIT_PRICE == 10_000_000_000);
const _: () = assert!(DEFAULT_LOW_STOCK_THRESHOLD == 20);
const _: () = assert!(SkuName::MAX_CHARS == 200);
const _: () = assert!(Reason::MAX_CHARS == 500);

/// List the inventory
///
/// Anyone signed in. Every SKU, by code. Any query parameter but `limit`
/// and `cursor` is 400.
#[utoipa::path(
    get,
    path = "/api/v1/inventory",
    operation_id = "listInventory",
    tag = "inventory",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of SKUs.", body = Page<SkuView>),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_inventory() {}

/// List the SKUs low on stock
///
/// Anyone signed in. The SKUs whose `quantity` is below their
/// `low_stock_threshold` (`low_stock: true`), by code. A cursor of the
/// whole inventory's listing is 400 here, as is any query parameter but
/// `limit` and `cursor`.
#[utoipa::path(
    get,
    path = "/api/v1/inventory/low-stock",
    operation_id = "listLowStock",
    tag = "inventory",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of the SKUs low on stock.", body = Page<SkuView>),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_low_stock() {}

/// Create a SKU
///
/// Admins only. `sku`, `name` and `unit_price` are required; the code is
/// kept in upper case, and one already taken (in any case) is 409. The
/// quantity defaults to 0, the low-stock threshold to 20; a SKU created
/// below its threshold is low on stock at once.
#[utoipa::path(
    post,
    path = "/api/v1/inventory",
    operation_id = "createSku",
    tag = "inventory",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = CreateSku, example = json!({
        "sku": "DESK-120",
        "name": "Standing desk, 120 cm",
        "unit_price": 45000,
        "quantity": 40,
        "low_stock_threshold": 10
    })),
    responses(
        (status = 201, description = "Created.", body = SkuView,
            headers(
                ("location" = String, description = "`/api/v1/inventory/{sku}`"),
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
fn create_sku() {}

/// Get a SKU
///
/// Anyone signed in reads any SKU.
#[utoipa::path(
    get,
    path = "/api/v1/inventory/{sku}",
    operation_id = "getSku",
    tag = "inventory",
    security(("bearer" = [])),
    params(SkuPath),
    responses(
        (status = 200, description = "The SKU.", body = SkuView, headers(
            ("etag" = String, description = "The version, quoted (`\"3\"`)."),
        )),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_sku() {}

/// Change a SKU
///
/// Admins only. Sets the fields given, at least one of `name`,
/// `unit_price` and `low_stock_threshold`, checked as on create; the stock
/// moves by adjustments only. A stale `If-Match` is 412, a stale `version`
/// 409.
#[utoipa::path(
    patch,
    path = "/api/v1/inventory/{sku}",
    operation_id = "updateSku",
    tag = "inventory",
    security(("bearer" = [])),
    params(SkuPath, IfMatch),
    request_body(content = UpdateSku, example = json!({
        "unit_price": 42000,
        "low_stock_threshold": 15,
        "version": 1
    })),
    responses(
        (status = 200, description = "The SKU after the change.", body = SkuView,
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
fn update_sku() {}

/// Adjust a SKU's stock
///
/// Admins only. Moves the quantity by `delta` units (in when positive,
/// out when negative) against the current stock, whatever its version,
/// with `reason` in the audit trail. A move that would take the stock
/// below zero is 409 (saying how many units are missing), one that would
/// take it past a billion units 422. A code that names no SKU is 404. An
/// `Idempotency-Key` makes a retry answer as the first request did,
/// without moving the stock again.
#[utoipa::path(
    post,
    path = "/api/v1/inventory/{sku}/adjust",
    operation_id = "adjustStock",
    tag = "inventory",
    security(("bearer" = [])),
    params(SkuPath, IdempotencyKey),
    request_body(content = AdjustStock, example = json!({
        "delta": -5,
        "reason": "Damaged in the warehouse"
    })),
    responses(
        (status = 200, description = "The SKU after the move.", body = SkuView,
            headers(
                ("etag" = String, description = "The new version, quoted."),
                ("idempotent-replayed" = String,
                    description = "`true` when this is the first response to the same \
                                   `Idempotency-Key` again."),
            )),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn adjust_stock() {}
