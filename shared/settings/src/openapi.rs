//! The OpenAPI description of the `settings` function's routes, built from
//! the request type of [`crate::api`] and the view of [`crate::view`].
//! `infra/openapi` merges it into `docs/openapi.json`.
//!
//! Invariant: one operation per route of the function in `template.yaml`,
//! each answering exactly the statuses its handler can (401, 503 and 500
//! are added by the kernel's `finish`): every signed-in caller lists the
//! settings (a query parameter is 400); reading one and setting it are for
//! admins (403 otherwise, before anything else); a key that names no
//! setting is 404; a malformed body or `If-Match` is 400, a body over
//! 64 KiB 413, a body that is not JSON 415, a value of the wrong type 422,
//! a stale `version` 409, a stale `If-Match` 412.

use crate::api::PutSetting;
use crate::domain::DEFINITIONS;
use crate::view::SettingView;
use opsflow_platform::http::Page;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IfMatch, NotFound, PayloadTooLarge, PreconditionFailed,
    Unprocessable, UnsupportedMediaType,
};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_settings, get_setting, put_setting))]
struct Routes;

/// The description of the module's routes.
pub fn doc() -> utoipa::openapi::OpenApi {
    Routes::openapi()
}

/// The `{key}` path parameter.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct KeyPath {
    /// A setting's key: `app.name`, `app.version`, `features.dark_mode`
    /// or `features.analytics`; any other is 404.
    key: String,
}

// The keys `KeyPath` names are the defined ones.
const _: () = assert!(DEFINITIONS.len() == 4);

/// List the settings
///
/// Anyone signed in. Every defined setting, in a fixed order, with its
/// value (its default until an admin sets it), type, default and
/// description; one page (`next_cursor` is `null`).
#[utoipa::path(
    get,
    path = "/api/v1/settings",
    operation_id = "listSettings",
    tag = "settings",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every setting.", body = Page<SettingView>),
        (status = 400, response = BadRequest),
    )
)]
#[allow(dead_code)]
fn list_settings() {}

/// Get a setting
///
/// Admins only: the setting with its version (`0` while it has its
/// default) as its `ETag`.
#[utoipa::path(
    get,
    path = "/api/v1/settings/{key}",
    operation_id = "getSetting",
    tag = "settings",
    security(("bearer" = [])),
    params(KeyPath),
    responses(
        (status = 200, description = "The setting.", body = SettingView, headers(
            ("etag" = String, description = "The version, quoted (`\"0\"` while it has its \
                                              default)."),
        )),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[allow(dead_code)]
fn get_setting() {}

/// Set a setting
///
/// Admins only. `value` must have the key's type (a string within its
/// length, a boolean or an integer within its range): 422 naming `value`
/// otherwise. A stale `If-Match` is 412, a stale `version` 409 (0 while
/// the setting has its default). The change is recorded as
/// `setting.updated`, with the old and new values.
#[utoipa::path(
    put,
    path = "/api/v1/settings/{key}",
    operation_id = "putSetting",
    tag = "settings",
    security(("bearer" = [])),
    params(KeyPath, IfMatch),
    request_body(content = PutSetting, example = json!({"value": true, "version": 0})),
    responses(
        (status = 200, description = "The setting after the change.", body = SettingView,
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
fn put_setting() {}
