//! The `auth` function's operations: registration, login, refresh, logout
//! and the caller's own account (`api::auth`). Only `logout` and `me` take
//! an access token; the others answer 401 themselves where they refuse a
//! credential.

use crate::api::auth::login::LoginBody;
use crate::api::auth::{RefreshBody, RegisterBody};
use crate::service::sessions::Tokens;
use crate::view::UserView;
use opsflow_platform::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, NotFound, PayloadTooLarge, ServiceUnavailable,
    TooManyRequests, Unauthorized, Unprocessable, UnsupportedMediaType,
};

/// `POST /api/v1/auth/register`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    operation_id = "register",
    tag = "auth",
    summary = "Create an account",
    description = "Anyone may register; the account gets the role `user` and can log in at \
        once. Registrations are limited per source address (10 an hour by default), then \
        429 with `Retry-After`. A retry with the same `Idempotency-Key` (scoped to the \
        source address) gets the first answer again. Bodies over 8 KiB are refused (413).",
    params(IdempotencyKey),
    request_body(
        content = RegisterBody,
        example = json!({"email": "ada@example.com", "password": "correct horse battery", "name": "Ada Lovelace"})
    ),
    responses(
        (status = 201, description = "The account, as created.", body = UserView, headers(
            ("location" = String, description = "`/api/v1/users/{id}` of the new account."),
            ("idempotent-replayed" = String, description = "`true` on the replayed answer to a retry."),
        )),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
pub(super) fn register() {}

/// `POST /api/v1/auth/login`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    operation_id = "login",
    tag = "auth",
    summary = "Log in",
    description = "Exchanges an e-mail address and password for a 15-minute access token \
        and a refresh token (`Cache-Control: no-store`). An unknown account and a wrong \
        password are the same 401; a deactivated account is 403. Attempts are throttled per \
        source address and per account (429 with `Retry-After`).",
    request_body(
        content = LoginBody,
        example = json!({"email": "ada@example.com", "password": "correct horse battery"})
    ),
    responses(
        (status = 200, description = "Signed in: the tokens and the account.", body = Tokens, headers(
            ("cache-control" = String, description = "`no-store`."),
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
pub(super) fn login() {}

/// `POST /api/v1/auth/refresh`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    operation_id = "refreshTokens",
    tag = "auth",
    summary = "Renew the tokens",
    description = "For the holder of a refresh token: exchanges it for a new access token \
        and a new refresh token; the one presented is spent. An unknown, expired or revoked \
        token, or one whose account is deactivated, is 401; presenting a spent one again \
        revokes its whole session (also 401).",
    request_body(
        content = RefreshBody,
        example = json!({"refresh_token": "q3lT0Jx2…"})
    ),
    responses(
        (status = 200, description = "New tokens and the account.", body = Tokens, headers(
            ("cache-control" = String, description = "`no-store`."),
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
pub(super) fn refresh() {}

/// `POST /api/v1/auth/logout`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    operation_id = "logout",
    tag = "auth",
    summary = "Log out",
    description = "Signed in: ends the caller's session, so its access and refresh tokens \
        stop working at once. Takes no body.",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The session has ended."),
        (status = 409, response = Conflict),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
pub(super) fn logout() {}

/// `GET /api/v1/auth/me`.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    operation_id = "getMe",
    tag = "auth",
    summary = "Read one's own account",
    description = "Signed in: the caller's account.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account.", body = UserView),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[allow(dead_code)]
pub(super) fn me() {}
