//! `settings`: every signed-in user reads the settings clients configure
//! themselves from; admins read one with its version and set it
//! (`/api/v1/settings`).
//!
//! - `GET` → `{items, next_cursor: null}`: every defined key with its value
//!   (its default until set), type, default and description.
//! - `GET /{key}` (admins) → the setting with its `ETag`.
//! - `PUT /{key}` (admins) `{value, version?}` → 200: the value must have
//!   the key's type (422 naming `value`); `If-Match` or `version` (0 while
//!   it has its default) guard against a concurrent change (412/409). An
//!   unknown key is 404.

pub use opsflow_platform::api::*;

use crate::permissions;
use crate::service::{self, Setting};
use crate::view::{setting_view, SettingView};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use opsflow_platform::auth::Principal;
use opsflow_platform::error::ApiError;
use opsflow_platform::http::{
    check_version, json, only_query_params, parse_json, path_param, with_etag, Page, RequestMeta,
    DEFAULT_BODY_LIMIT,
};
use opsflow_platform::Api;
use serde::Deserialize;
use serde_json::Value;

pub async fn handle(app: &Api, req: Request) -> Response<Body> {
    serve(app, req, route).await
}

async fn route(app: &Api, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    match meta.route_key.as_str() {
        "GET /api/v1/settings" => {
            principal.require(permissions::SETTINGS_READ)?;
            only_query_params(&req, &[])?;
            let settings = service::all(&app.store).await?;
            let page = Page {
                items: settings.iter().map(view).collect::<Vec<SettingView>>(),
                next_cursor: None,
            };
            json(StatusCode::OK, &page)
        }
        "GET /api/v1/settings/{key}" => {
            principal.require(permissions::SETTINGS_MANAGE)?;
            let setting = service::one(&app.store, path_param(&req, "key")?).await?;
            shown(&setting)
        }
        "PUT /api/v1/settings/{key}" => {
            principal.require(permissions::SETTINGS_MANAGE)?;
            let setting = service::one(&app.store, path_param(&req, "key")?).await?;
            let body: PutSetting = parse_json(&req, DEFAULT_BODY_LIMIT)?;
            let version = setting.1.as_ref().map_or(0, |r| r.version);
            check_version(&req, body.version, version, "setting")?;
            let after = service::set(
                &app.store,
                &principal,
                &meta.correlation_id,
                &setting,
                &body.value,
            )
            .await?;
            shown(&(setting.0, Some(after)))
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

fn view(setting: &Setting) -> SettingView {
    setting_view(setting.0, setting.1.as_ref())
}

fn shown(setting: &Setting) -> ApiReply {
    let version = setting.1.as_ref().map_or(0, |r| r.version);
    Ok(with_etag(json(StatusCode::OK, &view(setting))?, version))
}

/// A setting's new value.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct PutSetting {
    /// Of the key's type: a string (one line, within the key's length), a
    /// boolean or an integer.
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    value: Value,
    /// The version the change expects (stale: 409), like `If-Match`; 0
    /// while the setting has its default.
    version: Option<u64>,
}
