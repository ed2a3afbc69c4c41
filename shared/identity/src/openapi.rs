//! The OpenAPI description of the `auth` and `users` functions' routes
//! (`openapi::auth`, `openapi::users`), built from the request types of
//! `api::*` and the views they answer, for `infra/openapi` to merge into
//! `docs/openapi.json`.
//!
//! Invariant: one operation per route of these functions in
//! `template.yaml`, each listing every status its handler can answer
//! (401 and 500 are added by the kernel's `openapi::finish`), and schemas
//! that accept what the handlers' parsers accept (`domain::user`, `Role`).

use utoipa::openapi::OpenApi;
use utoipa::OpenApi as _;

mod auth;
mod users;

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        auth::register,
        auth::login,
        auth::refresh,
        auth::logout,
        auth::me,
        users::list,
        users::get,
        users::update,
        users::deactivate,
    ),
    tags(
        (name = "auth", description = "Registration, login, token refresh, logout and the caller's own account."),
        (name = "users", description = "Account administration: admins list, read and change accounts; everyone reads and renames their own."),
    )
)]
struct Identity;

/// The description of identity's routes.
pub fn doc() -> OpenApi {
    Identity::openapi()
}
