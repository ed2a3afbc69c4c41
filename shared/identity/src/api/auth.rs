//! `auth`: registration, login, token refresh, logout and the caller's own
//! profile. The only function that holds the token signing key.
//!
//! Credentials are accepted only in JSON bodies and the `Authorization`
//! header, never in a URL. Token responses are `Cache-Control: no-store`.
//!
//! Throttling (numbers in `config::LoginLimits`) counts before the work it
//! limits, so concurrent requests cannot slip past it: registrations per
//! source IP; logins per source IP (failures, and a higher ceiling on all
//! attempts; a success gives its failure slot back); and every password
//! check passes the account's backoff gate (`auth::throttle`) before the
//! password is verified. The source IP is API Gateway's
//! `requestContext.http.sourceIp`; `x-forwarded-for` is the client's to set
//! and is never trusted.
//!
//! Logins, logouts and refresh-token reuse are audited: the session
//! service (`service::sessions`) commits each `session.*` event in the
//! transaction that makes its change; this file parses, throttles and
//! answers.

use crate::api::ApiReply;

use crate::accounts::{create_account, NewAccount, Registrar};
use crate::api::Context;
use crate::api::{idempotency, UserView};
use crate::auth::throttle;
use crate::auth::{TokenSigner, TokenVerifier};
use crate::clock;
use crate::domain::{DisplayName, Email, NewPassword, Role};
use crate::error::{ApiError, ApiResult, Validator};
use crate::http::{
    dispatch, json, no_content, parse_json, with_location, RequestMeta, DEFAULT_BODY_LIMIT,
};
use crate::service::sessions::{self, Origin, Tokens};
use crate::store::ratelimit::SlotTaken;
use crate::store::users::CreateUserError;
use crate::store::users::UserStore;
use crate::App;
use http::header::{HeaderValue, CACHE_CONTROL};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use opsflow_platform::app::{authenticate, verify_token, with_live_session};
use serde::Deserialize;

pub(crate) mod login;
use login::login;

/// Auth bodies are small; anything larger is refused before parsing.
const AUTH_BODY_LIMIT: usize = 8 * 1024;
const _: () = assert!(AUTH_BODY_LIMIT < DEFAULT_BODY_LIMIT);

/// The `auth` function's context: its [`App`], the token verifier (for
/// logout and `me`) and the token signer, which no other function holds.
pub struct Auth {
    pub app: App,
    pub verifier: TokenVerifier,
    pub signer: TokenSigner,
}

impl Context for Auth {
    /// Loads the verification and signing keys (`JWT_*`); a signing key
    /// that does not match the verification key fails the cold start.
    async fn build(app: App, sdk: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        let verifier = app.token_verifier()?;
        let signer = app.token_signer(&verifier, sdk).await?;
        Ok(Self {
            app,
            verifier,
            signer,
        })
    }
}

pub async fn handle(ctx: &Auth, req: Request) -> Response<Body> {
    dispatch(&ctx.app.cors, req, |meta, req| route(ctx, meta, req)).await
}

async fn route(ctx: &Auth, meta: RequestMeta, req: Request) -> ApiReply {
    let (app, signer) = (&ctx.app, &ctx.signer);
    match meta.route_key.as_str() {
        "POST /api/v1/auth/register" => {
            // Validate, then count, then claim the key: an invalid body
            // claims nothing, and the key is the caller's (per IP).
            let account = registration(&req)?;
            idempotency::check_header(&req)?;
            let ip = source_ip(&meta);
            limit_registrations(app, ip).await?;
            let scope = format!("auth-register:ip={ip}");
            idempotency::idempotent(&app.store, &scope, &meta, &req, || {
                register(app, &meta, account)
            })
            .await
        }
        "POST /api/v1/auth/login" => login(app, signer, &meta, &req).await,
        "POST /api/v1/auth/refresh" => refresh(app, signer, &meta, &req).await,
        "POST /api/v1/auth/logout" => logout(ctx, &meta, &req).await,
        "GET /api/v1/auth/me" => me(ctx, &req).await,
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

/// The caller's address as API Gateway saw it (`requestContext.http.sourceIp`).
fn source_ip(meta: &RequestMeta) -> &str {
    meta.source_ip.as_deref().unwrap_or("unknown")
}

/// A new account's details.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterBody {
    /// An e-mail address no account has yet (trimmed and lower-cased).
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    email: String,
    /// 8–128 characters, not all blank.
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]
    password: String,
    /// The display name: 1–100 characters once trimmed, no control
    /// characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    name: String,
}

fn registration(req: &Request) -> ApiResult<NewAccount> {
    let body: RegisterBody = parse_json(req, AUTH_BODY_LIMIT)?;
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(&body.email));
    let name = v.check("name", DisplayName::parse(&body.name));
    let new_password = v.check("password", NewPassword::parse(body.password));
    v.finish()?;
    let (Some(email), Some(name), Some(password)) = (email, name, new_password) else {
        return Err(ApiError::internal("validated input went missing"));
    };
    Ok(NewAccount {
        email,
        name,
        password,
        role: Role::User,
    })
}

async fn limit_registrations(app: &App, ip: &str) -> ApiResult<()> {
    let limits = app.config.login_limits;
    match app
        .store
        .take_slot(
            "register-ip",
            ip,
            limits.register_window_secs,
            limits.registrations_per_ip,
            clock::now(),
        )
        .await?
    {
        SlotTaken::Taken(_) => Ok(()),
        SlotTaken::Full { resets_in } => Err(throttle::too_many(
            "too many registrations from this address; retry later",
            resets_in,
        )),
    }
}

async fn register(app: &App, meta: &RequestMeta, account: NewAccount) -> ApiReply {
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
    let response = json(StatusCode::CREATED, &view)?;
    Ok(with_location(
        response,
        &format!("/api/v1/users/{}", user.id),
    ))
}

/// Tokens are answered `Cache-Control: no-store`.
fn token_response(tokens: &Tokens) -> ApiReply {
    let mut response = json(StatusCode::OK, tokens)?;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn origin(meta: &RequestMeta) -> Origin<'_> {
    Origin {
        correlation_id: &meta.correlation_id,
        source_ip: meta.source_ip.as_deref(),
    }
}

/// The refresh token to exchange.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshBody {
    /// The `refresh_token` of the last login or refresh; an unknown,
    /// expired or spent one is 401.
    refresh_token: String,
}

async fn refresh(app: &App, signer: &TokenSigner, meta: &RequestMeta, req: &Request) -> ApiReply {
    let body: RefreshBody = parse_json(req, AUTH_BODY_LIMIT)?;
    let tokens = sessions::refresh(
        &app.store,
        signer,
        &body.refresh_token,
        &origin(meta),
        clock::now(),
    )
    .await?;
    token_response(&tokens)
}

async fn logout(ctx: &Auth, meta: &RequestMeta, req: &Request) -> ApiReply {
    let principal = authenticate(&ctx.app.store, &ctx.verifier, req).await?;
    sessions::end(&ctx.app.store, &principal, &meta.correlation_id).await?;
    no_content()
}

/// The account read side by side with the session check: one round trip.
async fn me(ctx: &Auth, req: &Request) -> ApiReply {
    let store = &ctx.app.store;
    let principal = verify_token(&ctx.verifier, req)?;
    let read = async {
        store
            .user_by_id(&principal.user_id)
            .await?
            .ok_or_else(|| ApiError::NotFound("the account no longer exists".into()))
    };
    let record = with_live_session(store, &principal, read).await?;
    json(StatusCode::OK, &UserView::from(&record.user()))
}
