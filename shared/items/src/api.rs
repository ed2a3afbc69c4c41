//! `items`: every signed-in user reads and lists items and creates their
//! own; an item's owner and admins change and delete it
//! (`/api/v1/items`).
//!
//! - `POST` → `201` with the item, its `ETag` and `Location` (an
//!   `Idempotency-Key` makes a retry return the first answer).
//! - `GET` lists, with `status`, `search` (a piece of the name, any case),
//!   `sort_by` (`name`, `created_at`, `updated_at`; default `created_at`),
//!   `sort_order` (`asc`, `desc`; default `desc`), `limit` (≤ 100) and
//!   `cursor`.
//! - `GET /{id}`; `PATCH /{id}` sets the fields given; `PUT /{id}` replaces
//!   the item (`name` and `status` required; a missing `description` or
//!   `metadata` is cleared); `DELETE /{id}`. Each change takes `If-Match`
//!   (or `version` in the body) and is `409` when the item moved on.

pub use opsflow_platform::api::*;

use crate::domain::{
    may_change, Description, ItemName, ItemStatus, Metadata, Search, SortBy, SortOrder,
};
use crate::permissions;
use crate::service::{self, Fields, ItemsError};
use crate::store::{ItemFilter, ItemRecord, ItemStore};
use crate::view::item_view;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::EntityId;
use opsflow_platform::error::{ApiError, ApiResult, Validator};
use opsflow_platform::http::{
    check_version, json, no_content, only_query_params, parse_json, path_param, query_param,
    with_etag, with_location, RequestMeta, DEFAULT_BODY_LIMIT,
};
use opsflow_platform::Api;
use serde::Deserialize;
use serde_json::Value;

pub async fn handle(app: &Api, req: Request) -> Response<Body> {
    serve(app, req, route).await
}

async fn route(app: &Api, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    match meta.route_key.as_str() {
        "GET /api/v1/items" => {
            principal.require(permissions::ITEMS_READ)?;
            list(app, &req).await
        }
        "POST /api/v1/items" => {
            principal.require(permissions::ITEMS_WRITE)?;
            let scope = format!("items-create#{}", principal.user_id);
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                create(app, &principal, &meta, &req)
            })
            .await
        }
        "GET /api/v1/items/{id}" => {
            principal.require(permissions::ITEMS_READ)?;
            let record = existing(app, &req).await?;
            shown(StatusCode::OK, &record)
        }
        "PATCH /api/v1/items/{id}" => {
            principal.require(permissions::ITEMS_WRITE)?;
            change(app, &principal, &meta, &req, Change::Patch).await
        }
        "PUT /api/v1/items/{id}" => {
            principal.require(permissions::ITEMS_WRITE)?;
            change(app, &principal, &meta, &req, Change::Replace).await
        }
        "DELETE /api/v1/items/{id}" => {
            principal.require(permissions::ITEMS_WRITE)?;
            let record = owned(app, &principal, &req).await?;
            check_version(&req, None, record.version, "item")?;
            service::delete(&app.store, &principal, &meta.correlation_id, &record).await?;
            no_content()
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

/// Item `{id}` when `principal` may change it (its owner, an admin): 403
/// before anything about the request is looked at.
async fn owned(app: &Api, principal: &Principal, req: &Request) -> ApiResult<ItemRecord> {
    let record = existing(app, req).await?;
    if !may_change(principal, &record.owner_id) {
        return Err(ItemsError::Forbidden.into());
    }
    Ok(record)
}

async fn existing(app: &Api, req: &Request) -> ApiResult<ItemRecord> {
    let id = EntityId::parse(path_param(req, "id")?)
        .map_err(|_| ApiError::from(ItemsError::NotFound))?;
    Ok(service::item(&app.store, &id).await?)
}

fn shown(status: StatusCode, record: &ItemRecord) -> ApiReply {
    Ok(with_etag(json(status, &item_view(record))?, record.version))
}

async fn list(app: &Api, req: &Request) -> ApiReply {
    only_query_params(
        req,
        &[
            "status",
            "search",
            "sort_by",
            "sort_order",
            "limit",
            "cursor",
        ],
    )?;
    let filter = ItemFilter {
        status: parsed(req, "status", ItemStatus::parse)?,
        search: parsed(req, "search", Search::parse)?,
        sort: parsed(req, "sort_by", SortBy::parse)?.unwrap_or(SortBy::CreatedAt),
        order: parsed(req, "sort_order", SortOrder::parse)?.unwrap_or(SortOrder::Desc),
    };
    let scope = format!("items:{filter:?}");
    paged_by_key(
        app,
        req,
        &scope,
        |limit, after| async move {
            let (records, next) = app
                .store
                .list_items(&filter, limit, after.as_deref())
                .await?;
            Ok((records, next))
        },
        item_view,
    )
    .await
}

/// Query parameter `name`, parsed (422 naming it when it does not parse).
fn parsed<T>(
    req: &Request,
    name: &'static str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> ApiResult<Option<T>> {
    query_param(req, name)?
        .map(|raw| parse(raw).map_err(|m| ApiError::invalid_field(name, m)))
        .transpose()
}

/// A new item.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateItem {
    /// 1–255 characters, one line (trimmed).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 255))]
    name: String,
    /// Up to 2000 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    description: Option<String>,
    /// Default `active`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::domain::ItemStatus>))]
    status: Option<String>,
    /// A JSON object of at most 16 KiB and 16 levels; default `{}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    metadata: Option<Value>,
}

/// An item in full, replacing the one stored (`PUT`).
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplaceItem {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 255))]
    name: String,
    /// Cleared when absent.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::ItemStatus))]
    status: String,
    /// `{}` when absent.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    metadata: Option<Value>,
    /// The version the replacement expects (stale: 409), like `If-Match`.
    version: Option<u64>,
}

/// A change to an item (`PATCH`): at least one field besides `version`.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateItem {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 255))]
    name: Option<String>,
    /// `""` clears it.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::domain::ItemStatus>))]
    status: Option<String>,
    /// Replaces the metadata as a whole.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    metadata: Option<Value>,
    /// The version the change expects (stale: 409), like `If-Match`.
    version: Option<u64>,
}

/// The fields a body gives, each checked; every problem is named.
fn checked(
    v: &mut Validator,
    name: Option<&str>,
    description: Option<&str>,
    status: Option<&str>,
    metadata: Option<Value>,
) -> Fields {
    Fields {
        name: v.check_opt("name", name, ItemName::parse),
        description: v.check_opt("description", description, Description::parse),
        status: v.check_opt("status", status, ItemStatus::parse),
        metadata: metadata.and_then(|value| v.check("metadata", Metadata::parse(value))),
    }
}

async fn create(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let body: CreateItem = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let mut v = Validator::new();
    let mut fields = checked(
        &mut v,
        Some(&body.name),
        body.description.as_deref(),
        body.status.as_deref(),
        body.metadata,
    );
    v.finish()?;
    let name = fields
        .name
        .take()
        .ok_or_else(|| ApiError::internal("validated input went missing"))?;
    let record = service::create(&app.store, principal, &meta.correlation_id, name, fields).await?;
    let response = shown(StatusCode::CREATED, &record)?;
    Ok(with_location(
        response,
        &format!("/api/v1/items/{}", record.id),
    ))
}

enum Change {
    Patch,
    Replace,
}

async fn change(
    app: &Api,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
    how: Change,
) -> ApiReply {
    let record = owned(app, principal, req).await?;
    let mut v = Validator::new();
    let (fields, version) = match how {
        Change::Patch => {
            let body: UpdateItem = parse_json(req, DEFAULT_BODY_LIMIT)?;
            if body.name.is_none()
                && body.description.is_none()
                && body.status.is_none()
                && body.metadata.is_none()
            {
                v.push(
                    "body",
                    "give at least one of name, description, status, metadata",
                );
            }
            let fields = checked(
                &mut v,
                body.name.as_deref(),
                body.description.as_deref(),
                body.status.as_deref(),
                body.metadata,
            );
            (fields, body.version)
        }
        Change::Replace => {
            let body: ReplaceItem = parse_json(req, DEFAULT_BODY_LIMIT)?;
            let fields = checked(
                &mut v,
                Some(&body.name),
                Some(body.description.as_deref().unwrap_or("")),
                Some(&body.status),
                Some(
                    body.metadata
                        .unwrap_or_else(|| Value::Object(Default::default())),
                ),
            );
            (fields, body.version)
        }
    };
    v.finish()?;
    check_version(req, version, record.version, "item")?;
    let after =
        service::update(&app.store, principal, &meta.correlation_id, &record, fields).await?;
    shown(StatusCode::OK, &after)
}
