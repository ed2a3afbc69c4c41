//! What a function builds once at cold start and shares across
//! invocations. [`App`] is what every function has: configuration, the
//! store, CORS and the registry of the modules it serves (the probes need
//! nothing more). [`Api`] adds what every API function needs to serve a
//! caller: the token verifier and the cursor key, read at cold start, so a
//! handler that takes an `Api` cannot run without them. A function that
//! needs more (the token signer, the rule runner, the audit table) has a
//! context type of its own in its module, built from the `App`.
//! Also the one place requests are authenticated ([`authenticate`]).

use crate::auth::keys::fetch_signing_key;
use crate::auth::{Principal, TokenError, TokenSigner, TokenVerifier};
use crate::config::{Config, JwtAlgorithm, JwtConfig, SigningKeySource};
use crate::domain::{EntityId, Role};
use crate::error::{ApiError, ApiResult};
use crate::http::{bearer_token, Cors};
use crate::registry::Registry;
use crate::store::{CursorKey, Store};
use anyhow::Context as _;
use lambda_http::Request;
use std::future::Future;

pub struct App {
    pub config: Config,
    pub store: Store,
    pub cors: Cors,
    /// What the modules this function serves registered (entity kinds,
    /// rule-action targets): empty unless its `main.rs` registers some.
    pub registry: Registry,
}

impl App {
    /// Builds the SDK clients over `config`.
    pub fn new(config: Config, sdk: &aws_config::SdkConfig) -> Self {
        let client = crate::store::client(sdk);
        let store = Store::new(client, config.table_name.clone()).with_idempotency_lease(
            time::Duration::seconds(
                i64::try_from(config.idempotency_lease_secs).unwrap_or(i64::MAX),
            ),
        );
        Self {
            cors: Cors::new(config.cors_origins.clone()),
            registry: Registry::new(),
            config,
            store,
        }
    }

    /// The app, serving what `register` adds to its registry (each module's
    /// `register` function).
    pub fn with_registry(mut self, register: &[fn(&mut Registry)]) -> Self {
        for add in register {
            add(&mut self.registry);
        }
        self
    }

    /// The verifier of access tokens, from `JWT_*`.
    pub fn token_verifier(&self) -> anyhow::Result<TokenVerifier> {
        let jwt = JwtConfig::from_vars(&self.config.vars)?;
        TokenVerifier::new(&jwt).context("loading JWT_PUBLIC_KEY")
    }

    /// The token signer of the function that issues tokens: its key from
    /// `JWT_PRIVATE_KEY`, the Secrets Manager secret
    /// `JWT_PRIVATE_KEY_SECRET_ARN` names, or `JWT_SECRET` for HS256. A key
    /// that does not match `verifier` would issue tokens no function
    /// accepts, so it is refused at cold start.
    pub async fn token_signer(
        &self,
        verifier: &TokenVerifier,
        sdk: &aws_config::SdkConfig,
    ) -> anyhow::Result<TokenSigner> {
        let jwt = JwtConfig::from_vars(&self.config.vars)?;
        let signer = match SigningKeySource::from_vars(&self.config.vars, &jwt)? {
            Some(source) => {
                let pem = match source {
                    SigningKeySource::Pem(pem) => pem,
                    SigningKeySource::SecretArn(arn) => fetch_signing_key(sdk, &arn).await?,
                };
                TokenSigner::new(&jwt, Some(&pem)).context("loading the JWT signing key")?
            }
            None if jwt.algorithm == JwtAlgorithm::Hs256 => TokenSigner::new(&jwt, None)?,
            None => anyhow::bail!("no JWT signing key is configured"),
        };
        let probe = signer.issue(
            &EntityId::new(),
            Role::User,
            ("probe", 0),
            crate::clock::now(),
        )?;
        verifier
            .verify(&probe.token)
            .map_err(|_| anyhow::anyhow!("the JWT signing key does not match JWT_PUBLIC_KEY"))?;
        Ok(signer)
    }
}

/// The context of an API function: its [`App`], the verifier of access
/// tokens and the key that signs list cursors (`CURSOR_SECRET`).
pub struct Api {
    pub app: App,
    pub verifier: TokenVerifier,
    pub cursors: CursorKey,
}

impl std::ops::Deref for Api {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl AsRef<Api> for Api {
    fn as_ref(&self) -> &Api {
        self
    }
}

impl Api {
    /// Reads `JWT_*` and `CURSOR_SECRET`; either missing or invalid fails
    /// the cold start, naming the variable.
    pub fn new(app: App) -> anyhow::Result<Self> {
        let verifier = app.token_verifier()?;
        let cursors = CursorKey::new(app.config.vars.secret("CURSOR_SECRET")?.as_bytes());
        Ok(Self {
            app,
            verifier,
            cursors,
        })
    }

    /// The caller of a request ([`authenticate`]).
    pub async fn authenticate(&self, req: &Request) -> ApiResult<Principal> {
        authenticate(&self.app.store, &self.verifier, req).await
    }
}

/// The caller of a request: a valid, unexpired access token of this issuer
/// and audience whose session is still live (not ended, and of its active
/// user's current session generation). Anything else is 401.
pub async fn authenticate(
    store: &Store,
    verifier: &TokenVerifier,
    req: &Request,
) -> ApiResult<Principal> {
    let principal = verify_token(verifier, req)?;
    require_live_session(store, &principal).await?;
    Ok(principal)
}

/// The caller a request's access token names, if the token is valid and
/// unexpired, before its session is checked ([`require_live_session`]):
/// no I/O.
pub fn verify_token(verifier: &TokenVerifier, req: &Request) -> ApiResult<Principal> {
    let token = bearer_token(req)
        .ok_or_else(|| ApiError::Unauthorized("a bearer access token is required".into()))?;
    let claims = verifier.verify(token).map_err(|e| match e {
        TokenError::Expired => ApiError::Unauthorized("the access token has expired".into()),
        TokenError::Invalid => ApiError::Unauthorized("the access token is invalid".into()),
    })?;
    let user_id = EntityId::parse(&claims.sub)
        .map_err(|_| ApiError::Unauthorized("the access token is invalid".into()))?;
    Ok(Principal {
        user_id,
        role: claims.role,
        session_id: claims.sid,
        session_generation: claims.gen,
        token_id: claims.jti,
        expires_at: claims.exp,
    })
}

/// 401 unless the principal's session is live now (one round trip: the
/// session and its user are read side by side).
pub async fn require_live_session(store: &Store, principal: &Principal) -> ApiResult<()> {
    live_generation(store, principal).await.map(|_| ())
}

/// [`require_live_session`], with the generation the live session was
/// found at.
async fn live_generation(store: &Store, principal: &Principal) -> ApiResult<u64> {
    let (session, user) = (&principal.session_id, &principal.user_id);
    let now = crate::clock::now();
    match crate::auth::session::live_generation(store, session, user, now).await? {
        Some(generation) => Ok(generation),
        None => Err(ApiError::Unauthorized(
            "the session has ended; log in again".into(),
        )),
    }
}

/// `route` (a handler's work) run side by side with the session check,
/// so that a request costs one round trip, not two: its writes wait for
/// the check ([`crate::auth::gate`]), and its result is released only once
/// the session is found live; a session that has ended is 401 whatever
/// `route` did or found.
pub async fn with_live_session<T>(
    store: &Store,
    principal: &Principal,
    route: impl Future<Output = ApiResult<T>>,
) -> ApiResult<T> {
    let check = async { live_generation(store, principal).await.map(Some) };
    let claim = principal
        .session_generation
        .map(|generation| crate::auth::session::SessionClaim {
            id: principal.session_id.clone(),
            user_id: principal.user_id,
            generation,
        });
    let (live, answer, carried) = crate::auth::gate::run_claimed(claim, check, route).await;
    match live {
        Ok(()) => answer,
        // The route committed a transaction whose conditions proved the
        // session live: its answer stands, whatever the check (a read that
        // failed, or saw a revocation made since) says.
        Err(_) if carried && answer.is_ok() => answer,
        Err(error) => Err(error),
    }
}
