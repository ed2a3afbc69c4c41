//! `auth`: registration, login, token refresh, logout and the caller's own
//! profile. The only function that holds the token signing key.
//!
//! Credentials are accepted only in JSON bodies and the `Authorization`
//! header, never in a URL. Token responses are `Cache-Control: no-store`.

use crate::accounts::{create_account, NewAccount, Registrar};
use crate::api::{idempotency, UserView};
use crate::auth::{password, secret, ACCESS_TOKEN_TTL};
use crate::clock;
use crate::domain::{DisplayName, Email, NewPassword, Role};
use crate::error::{ApiError, ApiResult, Validator};
use crate::events::{Actor, Envelope};
use crate::http::{dispatch, json, no_content, parse_json, RequestMeta, DEFAULT_BODY_LIMIT};
use crate::store::sessions::Rotation;
use crate::store::users::CreateUserError;
use crate::App;
use http::header::{HeaderValue, CACHE_CONTROL, LOCATION};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

/// Auth bodies are small; anything larger is refused before parsing.
const AUTH_BODY_LIMIT: usize = 8 * 1024;
const _: () = assert!(AUTH_BODY_LIMIT < DEFAULT_BODY_LIMIT);

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    dispatch(&app.cors, req, |meta, req| route(app, meta, req)).await
}

async fn route(app: &App, meta: RequestMeta, req: Request) -> ApiResult<Response<Body>> {
    match meta.route_key.as_str() {
        "POST /auth/register" => {
            idempotency::idempotent(&app.store, "auth-register", &meta, &req, || {
                register(app, &meta, &req)
            })
            .await
        }
        "POST /auth/login" => login(app, &meta, &req).await,
        "POST /auth/refresh" => refresh(app, &req).await,
        "POST /auth/logout" => logout(app, &req).await,
        "GET /auth/me" => me(app, &req).await,
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    email: String,
    password: String,
    name: String,
}

async fn register(app: &App, meta: &RequestMeta, req: &Request) -> ApiResult<Response<Body>> {
    let body: RegisterBody = parse_json(req, AUTH_BODY_LIMIT)?;
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(&body.email));
    let name = v.check("name", DisplayName::parse(&body.name));
    let new_password = v.check("password", NewPassword::parse(body.password));
    v.finish()?;
    let (Some(email), Some(name), Some(new_password)) = (email, name, new_password) else {
        return Err(ApiError::internal("validated input went missing"));
    };

    let account = NewAccount {
        email,
        name,
        password: new_password,
        role: Role::User,
    };
    let user = match create_account(
        &app.store,
        account,
        Registrar::SelfService,
        &meta.correlation_id,
    )
    .await
    {
        Ok(user) => user,
        Err(CreateUserError::EmailTaken) => {
            return Err(ApiError::Conflict(
                "an account with this e-mail address already exists".into(),
            ))
        }
        Err(CreateUserError::Store(error)) => return Err(error.into()),
    };
    let view = UserView::from(&user);
    tracing::info!(user_id = %user.id, "user registered");
    let mut response = json(StatusCode::CREATED, &view)?;
    if let Ok(location) = HeaderValue::from_str(&format!("/users/{}", user.id)) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
    user: UserView,
}

fn token_response(body: &TokenResponse) -> ApiResult<Response<Body>> {
    let mut response = json(StatusCode::OK, body)?;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn too_many(retry_after: u64) -> ApiError {
    ApiError::TooManyRequests {
        detail: "too many login attempts; retry later".into(),
        retry_after,
    }
}

async fn login(app: &App, meta: &RequestMeta, req: &Request) -> ApiResult<Response<Body>> {
    let body: LoginBody = parse_json(req, AUTH_BODY_LIMIT)?;
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(&body.email));
    if body.password.is_empty() || body.password.chars().count() > NewPassword::MAX_CHARS {
        v.push(
            "password",
            format!("must be 1 to {} characters", NewPassword::MAX_CHARS),
        );
    }
    v.finish()?;
    let Some(email) = email else {
        return Err(ApiError::internal("validated input went missing"));
    };

    let limits = app.config.login_limits;
    let now = clock::now();
    let source_ip = meta.source_ip.as_deref().unwrap_or("unknown");
    let by_ip = app
        .store
        .bump_counter("login-ip", source_ip, limits.ip_window_secs, now)
        .await?;
    if by_ip.count > limits.attempts_per_ip {
        return Err(too_many(by_ip.resets_in));
    }
    let failures = app
        .store
        .read_counter("login-email", email.as_str(), limits.email_window_secs, now)
        .await?;
    if failures.count >= limits.failures_per_email {
        return Err(too_many(failures.resets_in));
    }

    let record = app.store.user_by_email(&email).await?;
    let verified = match &record {
        Some(record) => password::verify(&body.password, &record.password_hash),
        None => {
            password::verify_against_nothing(&body.password);
            false
        }
    };
    if !verified {
        count_failure(app, meta, &email, record.as_ref(), failures.count, now).await?;
        tracing::info!("login refused: bad credentials");
        return Err(ApiError::Unauthorized("invalid e-mail or password".into()));
    }
    let Some(record) = record else {
        return Err(ApiError::internal("a verified login without an account"));
    };
    if !record.is_active {
        return Err(ApiError::Forbidden("this account is deactivated".into()));
    }

    let refresh_token = secret::generate()?;
    let session = app
        .store
        .create_session(record.id, &secret::fingerprint(&refresh_token), now)
        .await?;
    let access = app
        .signer()?
        .issue(&record.id, record.role, &session.id, now)?;
    tracing::info!(user_id = %record.id, session_id = %session.id, "login succeeded");
    token_response(&TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.whole_seconds(),
        refresh_token,
        user: UserView::from(&record.user()),
    })
}

/// Counts a failed login against the e-mail address. The failure that
/// reaches the limit also records a `user.login_failures_exceeded` event
/// (about the account, or about the address when no account has it), in
/// the same transaction as the count, so each burst is audited once.
async fn count_failure(
    app: &App,
    meta: &RequestMeta,
    email: &Email,
    account: Option<&crate::store::users::UserRecord>,
    previous: u32,
    now: time::OffsetDateTime,
) -> ApiResult<()> {
    let limits = app.config.login_limits;
    let window = limits.email_window_secs;
    let (entity, entity_id) = match account {
        Some(account) => ("user", account.id.to_string()),
        None => ("login", email.to_string()),
    };
    let burst = |failed: u32| {
        Envelope::new(
            "user.login_failures_exceeded",
            entity,
            &entity_id,
            Actor {
                id: "anonymous".into(),
                role: "anonymous".into(),
            },
            &meta.correlation_id,
            serde_json::json!({
                "email": email.as_str(),
                "source_ip": meta.source_ip,
                "window_secs": window,
            }),
        )
        .change("failed_logins", failed - 1, failed)
    };
    if previous + 1 == limits.failures_per_email {
        let event = burst(previous + 1);
        match app
            .store
            .bump_counter_with_event("login-email", email.as_str(), window, now, previous, &event)
            .await
        {
            Err(crate::store::StoreError::ConditionFailed) => {}
            other => return other.map_err(Into::into),
        }
    }
    // The count moved under us (or is far from the limit): count plainly;
    // whoever's count reaches the limit records the burst.
    let count = app
        .store
        .bump_counter("login-email", email.as_str(), window, now)
        .await?;
    if count.count == limits.failures_per_email {
        app.store.publish_event(&burst(count.count)).await?;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: String,
}

async fn refresh(app: &App, req: &Request) -> ApiResult<Response<Body>> {
    let body: RefreshBody = parse_json(req, AUTH_BODY_LIMIT)?;
    let refused = || ApiError::Unauthorized("the refresh token is invalid or expired".into());
    if !secret::is_well_formed(&body.refresh_token) {
        return Err(refused());
    }
    let now = clock::now();
    let next_token = secret::generate()?;
    let rotation = app
        .store
        .rotate_refresh_token(
            &secret::fingerprint(&body.refresh_token),
            &secret::fingerprint(&next_token),
            now,
        )
        .await?;
    let session = match rotation {
        Rotation::Rotated(session) => session,
        Rotation::Refused => return Err(refused()),
        Rotation::Reused => {
            tracing::warn!("refresh token reuse: session revoked");
            return Err(ApiError::Unauthorized(
                "the refresh token was already used; the session has been revoked".into(),
            ));
        }
    };
    let record = app.store.user_by_id(&session.user_id).await?;
    let Some(record) = record.filter(|r| r.is_active) else {
        app.store.revoke_session(&session.id).await?;
        return Err(refused());
    };
    let access = app
        .signer()?
        .issue(&record.id, record.role, &session.id, now)?;
    token_response(&TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.whole_seconds(),
        refresh_token: next_token,
        user: UserView::from(&record.user()),
    })
}

async fn logout(app: &App, req: &Request) -> ApiResult<Response<Body>> {
    let principal = app.authenticate(req).await?;
    app.store.revoke_session(&principal.session_id).await?;
    tracing::info!(user_id = %principal.user_id, session_id = %principal.session_id, "logged out");
    no_content()
}

async fn me(app: &App, req: &Request) -> ApiResult<Response<Body>> {
    let principal = app.authenticate(req).await?;
    let record = app
        .store
        .user_by_id(&principal.user_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("the account no longer exists".into()))?;
    json(StatusCode::OK, &UserView::from(&record.user()))
}
