//! The `users` function's operations (`api::users`): every route needs an
//! access token; someone else's account is 404 to a caller who may not
//! see it.

use crate::api::users::PatchBody;
use crate::view::UserView;
use opsflow_platform::http::Page;
use opsflow_platform::openapi::RoleName;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdPath, IfMatch, NotFound, PageParams, PayloadTooLarge,
    PreconditionFailed, ServiceUnavailable, TooManyRequests, Unprocessable, UnsupportedMediaType,
};

/// `GET /api/v1/users`.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    operation_id = "listUsers",
    tag = "users",
    summary = "List accounts",
    description = "Admins only (others 403): every account, newest first, optionally of one \
        role. A query parameter this route does not know, or one given twice, is 400.",
    security(("bearer" = [])),
    params(
        ("role" = Option<RoleName>, Query, description = "Only the accounts of this role (another value is 422)."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of accounts.", body = Page<UserView>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
pub(super) fn list() {}

/// `GET /api/v1/users/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    operation_id = "getUser",
    tag = "users",
    summary = "Read an account",
    description = "The account holder, or an admin; anyone else gets 404. The `ETag` is the \
        account's version, for `If-Match` on a change.",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 200, description = "The account.", body = UserView, headers(
            ("etag" = String, description = "The account's version, quoted: `\"3\"`."),
        )),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
pub(super) fn get() {}

/// `PATCH /api/v1/users/{id}`.
#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    operation_id = "updateUser",
    tag = "users",
    summary = "Change an account",
    description = "The holder changes their `name`, or their `password` given \
        `current_password` (a wrong one is 422; attempts are throttled like logins, 429); \
        an admin changes `role` and `is_active` (others 403), never their own. Someone else's \
        name or password is 403; an account the caller may not see is 404. Optimistic \
        locking: a stale `If-Match` is 412, a stale body `version` 409. A role change or \
        deactivation ends every session of the account; a new password every other session \
        of its holder.",
    security(("bearer" = [])),
    params(IdPath, IfMatch),
    request_body(
        content = PatchBody,
        example = json!({"name": "Ada King", "version": 1})
    ),
    responses(
        (status = 200, description = "The account, changed.", body = UserView, headers(
            ("etag" = String, description = "The account's new version, quoted: `\"4\"`."),
        )),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
pub(super) fn update() {}

/// `DELETE /api/v1/users/{id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}",
    operation_id = "deactivateUser",
    tag = "users",
    summary = "Deactivate an account",
    description = "Admins only (others 403): deactivates (never deletes) the account and ends \
        its sessions in the same transaction; it can no longer log in or refresh. An account \
        already inactive is 204 too; one's own account is 409.",
    security(("bearer" = [])),
    params(IdPath),
    responses(
        (status = 204, description = "The account is inactive."),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
pub(super) fn deactivate() {}
