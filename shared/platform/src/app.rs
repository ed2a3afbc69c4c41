//! Everything a function builds once at cold start and shares across
//! invocations: configuration, the store, CORS, and the token and cursor
//! keys it needs.
//! Also the one place requests are authenticated. A module whose function
//! needs more (the rule runner, say) wraps an `App` in a context of its own.

use crate::auth::keys::fetch_signing_key;
use crate::auth::{Principal, TokenError, TokenSigner, TokenVerifier};
use crate::config::{Config, Needs, SigningKeySource};
use crate::domain::{EntityId, Role};
use crate::error::{ApiError, ApiResult};
use crate::http::{bearer_token, Cors};
use crate::registry::Registry;
use crate::store::{CursorKey, Store};
use anyhow::Context;
use lambda_http::Request;

pub struct App {
    pub config: Config,
    pub store: Store,
    pub cors: Cors,
    /// What the modules this function serves registered (entity kinds,
    /// rule-action targets): empty unless its `main.rs` registers some.
    pub registry: Registry,
    verifier: Option<TokenVerifier>,
    cursors: Option<CursorKey>,
}

impl App {
    /// Reads the environment, builds the SDK clients and loads key material.
    /// Any failure here fails the function's init with a clear message.
    pub async fn from_env(needs: Needs) -> anyhow::Result<Self> {
        let config = Config::from_env(needs)?;
        let sdk = crate::store::sdk_config().await;
        Self::new(config, &sdk).await
    }

    pub async fn new(config: Config, sdk: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        let client = aws_sdk_dynamodb::Client::new(sdk);
        let store = Store::new(client, config.table_name.clone()).with_idempotency_lease(
            time::Duration::seconds(
                i64::try_from(config.idempotency_lease_secs).unwrap_or(i64::MAX),
            ),
        );
        let verifier = config
            .jwt
            .as_ref()
            .map(TokenVerifier::new)
            .transpose()
            .context("loading JWT_PUBLIC_KEY")?;
        let cursors = config.cursor_secret.as_deref().map(CursorKey::new);
        Ok(Self {
            cors: Cors::new(config.cors_origins.clone()),
            registry: Registry::new(),
            config,
            store,
            verifier,
            cursors,
        })
    }

    /// The app, serving what `register` adds to its registry (each module's
    /// `register` function).
    pub fn with_registry(mut self, register: &[fn(&mut Registry)]) -> Self {
        for add in register {
            add(&mut self.registry);
        }
        self
    }

    /// The token signer of the function that issues tokens (`Needs::
    /// sign_tokens`): its key from `JWT_PRIVATE_KEY`, the Secrets Manager
    /// secret `JWT_PRIVATE_KEY_SECRET_ARN` names, or `JWT_SECRET` for
    /// HS256. A key that does not match the app's verification key would
    /// issue tokens no function accepts, so it is refused at cold start.
    pub async fn token_signer(&self, sdk: &aws_config::SdkConfig) -> anyhow::Result<TokenSigner> {
        let jwt = self
            .config
            .jwt
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("JWT_ALGORITHM and its keys are not configured"))?;
        let signer = match &self.config.signing_key {
            Some(source) => {
                let pem = match source {
                    SigningKeySource::Pem(pem) => pem.clone(),
                    SigningKeySource::SecretArn(arn) => fetch_signing_key(sdk, arn).await?,
                };
                TokenSigner::new(jwt, Some(&pem)).context("loading the JWT signing key")?
            }
            None if jwt.algorithm == crate::config::JwtAlgorithm::Hs256 => {
                TokenSigner::new(jwt, None)?
            }
            None => anyhow::bail!("no JWT signing key is configured"),
        };
        if let Some(verifier) = &self.verifier {
            let probe = signer.issue(&EntityId::new(), Role::User, "probe", crate::clock::now())?;
            verifier.verify(&probe.token).map_err(|_| {
                anyhow::anyhow!("the JWT signing key does not match JWT_PUBLIC_KEY")
            })?;
        }
        Ok(signer)
    }

    pub fn cursors(&self) -> ApiResult<&CursorKey> {
        self.cursors
            .as_ref()
            .ok_or_else(|| ApiError::internal("CURSOR_SECRET is not configured"))
    }

    /// The caller of a request: a valid, unexpired access token of this
    /// issuer and audience whose session is still live (not ended, and of
    /// its active user's current session generation). Anything else is
    /// 401.
    pub async fn authenticate(&self, req: &Request) -> ApiResult<Principal> {
        let verifier = self
            .verifier
            .as_ref()
            .ok_or_else(|| ApiError::internal("this function cannot verify tokens"))?;
        let token = bearer_token(req)
            .ok_or_else(|| ApiError::Unauthorized("a bearer access token is required".into()))?;
        let claims = verifier.verify(token).map_err(|e| match e {
            TokenError::Expired => ApiError::Unauthorized("the access token has expired".into()),
            TokenError::Invalid => ApiError::Unauthorized("the access token is invalid".into()),
        })?;
        let user_id = EntityId::parse(&claims.sub)
            .map_err(|_| ApiError::Unauthorized("the access token is invalid".into()))?;
        if !crate::auth::session::is_live(&self.store, &claims.sid, &user_id, crate::clock::now())
            .await?
        {
            return Err(ApiError::Unauthorized(
                "the session has ended; log in again".into(),
            ));
        }
        Ok(Principal {
            user_id,
            role: claims.role,
            session_id: claims.sid,
            token_id: claims.jti,
            expires_at: claims.exp,
        })
    }
}
