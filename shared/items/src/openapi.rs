//! The OpenAPI description of the `items` function's routes, built from
//! the request types of [`crate::api`] and the view of [`crate::view`];
//! the domain's named values (an item's status, a listing's ordering) are
//! given schemas here, each listing its type's `ALL`. `infra/openapi`
//! merges it into `docs/openapi.json`.
//!
//! Invariant: one operation per route of the function in `template.yaml`,
//! each answering exactly the statuses its handler can (401, 503 and 500
//! are added by the kernel's `finish`): every signed-in caller reads,
//! lists and creates items, only an item's owner and admins change or
//! delete it (403 otherwise), an id that names no item is 404, a malformed
//! body, query, `If-Match` or `Idempotency-Key` is 400, a body over 64 KiB
//! 413, a body that is not JSON 415, invalid values 422, a lost race, a
//! stale `version` or a busy idempotency key 409, a stale `If-Match` 412.

use crate::api::{CreateItem, ReplaceItem, UpdateItem};
use crate::domain::{ItemStatus, Search, SortBy, SortOrder};
use crate::view::ItemView;
use opsflow_platform::http::Page;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdPath, IdempotencyKey, IfMatch, NotFound, PageParams,
    PayloadTooLarge, PreconditionFailed, Unprocessable, UnsupportedMediaType,
};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_items,
        create_item,
        get_item,
        update_item,
        replace_item,
        delete_item,
    ),
    // Only named by query parameters, whose schemas utoipa does not collect.
    components(schemas(SortBy, SortOrder))
)]
struct Routes;

/// The description of the module's routes.
pub fn doc() -> utoipa::openapi::OpenApi {
    Routes::openapi()
}

opsflow_platform::named_values! {
    ItemStatus as "ItemStatus" => "Where an item stands. Any status may follow any other: \
                                   `archived` hides nothing, it is a state clients filter on.",
    SortBy as "ItemSortBy" => "What a listing of items is ordered by, then by id: the name \
                               (compared in lower case), or a time (to the millisecond).",
    SortOrder as "ItemSortOrder" => "The direction of a listing of items.",
}

/// List items
///
/// Every item, whoever owns it: those of one `status`, those whose name
/// holds `search` (in any case), ordered by `sort_by` (default
/// `created_at`) in `sort_order` (default `desc`), then by id. A searched
/// page may hold fewer than `limit` items while `next_cursor` is not
/// `null`. Any other query parameter is 400.
#[utoipa::path(
    get,
    path = "/api/v1/items",
    operation_id = "listItems",
    tag = "items",
    security(("bearer" = [])),
    params(
        ("status" = Option<ItemStatus>, Query, description = "Only items in this status."),
        ("search" = Option<String>, Query, min_length = 1, max_length = 100,
            description = "Only items whose name holds this text, in any case (trimmed, \
                           1–100 characters, one line)."),
        ("sort_by" = Option<SortBy>, Query,
            description = "What the items are ordered by; default `created_at`."),
        ("sort_order" = Option<SortOrder>, Query,
            description = "`asc` or `desc` (default)."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of items.", body = Page<ItemView>),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
    )
)]
#[allow(dead_code)]
fn list_items() {}

// The bounds of `search` above are `Search::parse`'s.
const _: () = assert!(Search::MAX_CHARS == 100);

/// Create an item
///
/// Anyone signed in but auditors (403: they change nothing); the creator
/// owns the item. Only `name` is required:
/// the description defaults to empty, the status to `active`, the metadata
/// to `{}`.
#[utoipa::path(
    post,
    path = "/api/v1/items",
    operation_id = "createItem",
    tag = "items",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body(content = CreateItem, example = json!({
        "name": "Staging cluster",
        "description": "The shared staging Kubernetes cluster",
        "status": "active",
        "metadata": {"region": "eu-west-1", "nodes": 3}
    })),
    responses(
        (status = 201, description = "Created, owned by the caller.", body = ItemView,
            headers(
                ("location" = String, description = "`/api/v1/items/{id}`"),
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
fn create_item() {}

/// Get an item
///
/// Anyone signed in reads any item.
#[utoipa::path(
    get,
    path = "/api/v1/items/{id}",
    operation_id = "getItem",
    tag = "items",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 200, description = "The item.", body = ItemView, headers(
            ("etag" = String, description = "The version, quoted (`\"3\"`)."),
        )),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_item() {}

/// Change an item
///
/// Its owner and admins only (403 for anyone else). Sets the fields given,
/// at least one of `name`, `description` (`""` clears it), `status` and
/// `metadata` (replaced as a whole), checked as on create. A stale
/// `If-Match` is 412, a stale `version` 409.
#[utoipa::path(
    patch,
    path = "/api/v1/items/{id}",
    operation_id = "updateItem",
    tag = "items",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    request_body(content = UpdateItem, example = json!({
        "status": "inactive",
        "metadata": {"region": "eu-west-1", "nodes": 5}
    })),
    responses(
        (status = 200, description = "The item after the change.", body = ItemView,
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
fn update_item() {}

/// Replace an item
///
/// Its owner and admins only (403 for anyone else). `name` and `status`
/// are required; a missing `description` is cleared and missing `metadata`
/// is `{}`. The owner stays. A stale `If-Match` is 412, a stale `version`
/// 409.
#[utoipa::path(
    put,
    path = "/api/v1/items/{id}",
    operation_id = "replaceItem",
    tag = "items",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    request_body(content = ReplaceItem, example = json!({
        "name": "Staging cluster",
        "description": "Retired: moved to the shared cluster",
        "status": "archived",
        "version": 2
    })),
    responses(
        (status = 200, description = "The item as replaced.", body = ItemView,
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
fn replace_item() {}

/// Delete an item
///
/// Its owner and admins only (403 for anyone else). A stale `If-Match` is
/// 412.
#[utoipa::path(
    delete,
    path = "/api/v1/items/{id}",
    operation_id = "deleteItem",
    tag = "items",
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
fn delete_item() {}
