//! The OpenAPI description of the `auth` and `users` functions' routes
//! (`openapi::auth`, `openapi::users`), built from the request types of
//! `api::*` and the views they answer, for `infra/openapi` to merge into
//! `docs/openapi.json`.
//!
//! Invariant: one operation per route of these functions in
//! `template.yaml`, each listing every status its handler can answer
//! (401 and 500 are added by the kernel's `openapi::finish`), and schemas
//! that accept what the handlers' parsers accept (`domain::user`, `Role`).

use opsflow_platform::domain::Role;
use std::borrow::Cow;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::OpenApi as _;

mod auth;
mod users;

/// A role's name, one of [`Role::ALL`]: the schema of every field and
/// parameter that names a role, built from the enum the handlers parse
/// with, so it cannot drift from it.
pub struct RoleName;

impl utoipa::PartialSchema for RoleName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A role: what its holder may do."))
            .enum_values(Some(Role::ALL.map(Role::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for RoleName {
    fn name() -> Cow<'static, str> {
        "Role".into()
    }
}

/// The text of a problem response that names what went wrong, for the
/// statuses the kernel has no shared response for.
pub(crate) const UNSUPPORTED_MEDIA_TYPE: &str =
    "415: the body is not JSON (`content-type` other than `application/json` or `*+json`)";

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
    components(schemas(RoleName)),
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
