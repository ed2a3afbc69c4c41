//! `users`: account administration. Admins list users (by role, paged),
//! read anyone, change roles and the active flag, and deactivate accounts;
//! every user reads their own account and changes their own name, or their
//! password given the current one. Someone else's account is 404 to a
//! caller who may not see it.
//!
//! Checking `current_password` is throttled like login (`auth::throttle`,
//! one allowance per account). Deactivation, a role change and a new
//! password end the account's sessions (all of them; for a new password,
//! all but the caller's) in the same transaction as the change, with a
//! `session.revoked` event beside the user's own.

use crate::api::ApiReply;

use crate::api::{paged, UserView};
use crate::auth::{password, throttle, Principal};
use crate::clock;
use crate::domain::{DisplayName, EntityId, NewPassword, Role};
use crate::error::{ApiError, ApiResult, Validator};
use crate::http::{
    check_version, json, no_content, only_query_params, parse_json, path_param, query_param,
    with_etag, RequestMeta, DEFAULT_BODY_LIMIT,
};
use crate::permissions;
use crate::service::users::{self, UserChange};
use crate::store::users::UserStore;
use crate::store::users::{list_scope, UserRecord};
use crate::Api;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

pub async fn handle(app: &Api, req: Request) -> Response<Body> {
    crate::api::serve(app, req, route).await
}

async fn route(app: &Api, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    match meta.route_key.as_str() {
        "GET /api/v1/users" => list(app, &principal, &req).await,
        "GET /api/v1/users/{id}" => get(app, &principal, &req).await,
        "PATCH /api/v1/users/{id}" => patch(app, &principal, &meta, &req).await,
        "DELETE /api/v1/users/{id}" => deactivate(app, &principal, &meta, &req).await,
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such user".into())
}

/// The target of `/api/v1/users/{id}`, if the caller may see it.
async fn visible_user(app: &Api, principal: &Principal, req: &Request) -> ApiResult<UserRecord> {
    let id = EntityId::parse(path_param(req, "id")?).map_err(|_| not_found())?;
    if !principal.is(&id) && !principal.can(permissions::USERS_READ_ANY) {
        return Err(not_found());
    }
    app.store.user_by_id(&id).await?.ok_or_else(not_found)
}

async fn list(app: &Api, principal: &Principal, req: &Request) -> ApiReply {
    principal.require(permissions::USERS_LIST)?;
    only_query_params(req, &["role", "limit", "cursor"])?;
    let role = match query_param(req, "role")? {
        Some(raw) => Some(Role::parse(raw).map_err(|m| ApiError::invalid_field("role", m))?),
        None => None,
    };
    let scope = list_scope(role);
    paged(
        app,
        req,
        &scope,
        |limit, start| app.store.list_users(role, limit, start),
        |record| UserView::from(&record.user()),
    )
    .await
}

async fn get(app: &Api, principal: &Principal, req: &Request) -> ApiReply {
    let record = visible_user(app, principal, req).await?;
    let response = json(StatusCode::OK, &UserView::from(&record.user()))?;
    Ok(with_etag(response, record.version))
}

/// A partial change of an account: at least one of `name`, `password`,
/// `role`, `is_active`.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = UserPatch))]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchBody {
    /// The holder's new display name (holder only): 1–100 characters once
    /// trimmed, no control characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    name: Option<String>,
    /// The holder's new password (holder only), with `current_password`:
    /// 8–128 characters, not all blank.
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]
    password: Option<String>,
    /// The password now, required with (and only with) `password`; a wrong
    /// one is 422, and attempts are throttled like logins (429).
    current_password: Option<String>,
    /// The new role (admins only; not one's own).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<opsflow_platform::openapi::RoleName>))]
    role: Option<String>,
    /// Activates or deactivates the account (admins only; not one's own
    /// deactivation).
    is_active: Option<bool>,
    /// The version the change expects; a stale one is 409.
    version: Option<u64>,
}

async fn patch(app: &Api, principal: &Principal, meta: &RequestMeta, req: &Request) -> ApiReply {
    let mut record = visible_user(app, principal, req).await?;
    let body: PatchBody = parse_json(req, DEFAULT_BODY_LIMIT)?;
    let is_self = principal.is(&record.id);

    if (body.name.is_some() || body.password.is_some()) && !is_self {
        return Err(ApiError::Forbidden(
            "only the account holder can change its name or password".into(),
        ));
    }
    if body.role.is_some() || body.is_active.is_some() {
        principal.require(permissions::USERS_ADMINISTER)?;
    }

    let mut v = Validator::new();
    if body.name.is_none()
        && body.password.is_none()
        && body.role.is_none()
        && body.is_active.is_none()
    {
        v.push(
            "body",
            "give at least one of name, password, role, is_active",
        );
    }
    let name = v.check_opt("name", body.name.as_deref(), DisplayName::parse);
    let new_password = v.check_opt("password", body.password, NewPassword::parse);
    let role = v.check_opt("role", body.role.as_deref(), Role::parse);
    if new_password.is_some() {
        if body.current_password.is_none() {
            v.push("current_password", "is required to change the password");
        }
    } else if body.current_password.is_some() {
        v.push("current_password", "is only accepted with password");
    }
    if is_self && role.is_some_and(|r| r != record.role) {
        v.push("role", "you cannot change your own role");
    }
    if is_self && body.is_active == Some(false) {
        v.push("is_active", "you cannot deactivate your own account");
    }
    v.finish()?;

    check_version(req, body.version, record.version, "user")?;
    if let (Some(_), Some(current)) = (&new_password, body.current_password.as_deref()) {
        let limits = app.config.login_limits;
        let source = meta.source_ip.as_deref().unwrap_or("unknown");
        throttle::enter(&app.store, &limits, &record.email, source, clock::now()).await?;
        if !password::verify(current, &record.password_hash) {
            return Err(ApiError::invalid_field("current_password", "is incorrect"));
        }
        throttle::passed(&app.store, &record.email, source).await?;
    }

    let change = UserChange {
        name,
        role,
        is_active: body.is_active,
        new_password,
    };
    users::change_user(
        &app.store,
        principal,
        &meta.correlation_id,
        &mut record,
        change,
    )
    .await?;
    let response = json(StatusCode::OK, &UserView::from(&record.user()))?;
    Ok(with_etag(response, record.version))
}

async fn deactivate(
    app: &Api,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiReply {
    principal.require(permissions::USERS_ADMINISTER)?;
    let mut record = visible_user(app, principal, req).await?;
    if principal.is(&record.id) {
        return Err(ApiError::Conflict(
            "you cannot deactivate your own account".into(),
        ));
    }
    // An inactive account has no live session (the session check reads
    // the flag), so answering a retry at once leaves nothing alive.
    if !record.is_active {
        return no_content();
    }
    users::deactivate_user(&app.store, principal, &meta.correlation_id, &mut record).await?;
    tracing::info!(user_id = %record.id, "user deactivated; its sessions ended");
    no_content()
}
