//! Typed configuration, read once from the environment at cold start
//! (DESIGN §7). A missing or invalid variable is a startup error that names
//! the variable, so a misdeployed function fails its init instead of its
//! first request.

use std::collections::HashMap;

/// The signature algorithm of access tokens. Fixed by configuration, never
/// taken from a token's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// Ed25519 (default): only the `auth` function holds the private key.
    EdDsa,
    /// RSA PKCS#1 v1.5 with SHA-256: likewise asymmetric.
    Rs256,
    /// HMAC-SHA-256 with a shared secret: simple, but every function that
    /// verifies can also mint tokens.
    Hs256,
}

/// Where the `auth` function finds its signing key.
#[derive(Clone, PartialEq, Eq)]
pub enum SigningKeySource {
    /// A PEM given directly (`JWT_PRIVATE_KEY`; local runs and tests).
    Pem(String),
    /// A Secrets Manager secret holding the PEM (`JWT_PRIVATE_KEY_SECRET_ARN`).
    SecretArn(String),
}

impl std::fmt::Debug for SigningKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pem(_) => f.write_str("Pem(***)"),
            Self::SecretArn(arn) => f.debug_tuple("SecretArn").field(arn).finish(),
        }
    }
}

/// Token settings shared by every function that verifies access tokens.
#[derive(Clone)]
pub struct JwtConfig {
    pub algorithm: JwtAlgorithm,
    /// Public key PEM (EdDSA/RS256) or the shared secret (HS256).
    pub verification_key: Vec<u8>,
    /// During a key rotation, the public key tokens signed before it were
    /// signed with (`JWT_PREVIOUS_PUBLIC_KEY`; EdDSA/RS256 only).
    pub previous_verification_key: Option<Vec<u8>>,
    pub issuer: String,
    pub audience: String,
}

impl std::fmt::Debug for JwtConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtConfig")
            .field("algorithm", &self.algorithm)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// Password and registration throttling (DESIGN §6; the README's
/// "Throttling" section states the numbers).
///
/// - Per source IP (API Gateway's `sourceIp`, never `x-forwarded-for`):
///   at most `failures_per_ip` failed logins and `attempts_per_ip` logins of
///   any outcome per `ip_window_secs`, and `registrations_per_ip`
///   registrations per `register_window_secs`.
/// - Per account (by e-mail address; `PATCH /api/v1/users/{id}` with
///   `current_password` counts here too): `failures_per_email` attempts go
///   through at once; after attempt `n` ≥ that, the next waits
///   `backoff_unit_ms × 2^(n − failures_per_email)` ms, at most
///   `backoff_max_secs`. A success, or `email_window_secs` without an
///   attempt, starts the count again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    pub attempts_per_ip: u32,
    pub failures_per_ip: u32,
    pub ip_window_secs: u64,
    pub failures_per_email: u32,
    pub email_window_secs: u64,
    pub backoff_unit_ms: u64,
    pub backoff_max_secs: u64,
    pub registrations_per_ip: u32,
    pub register_window_secs: u64,
    /// Password attempts on one account from every address together, per
    /// `email_window_secs`.
    pub attempts_per_account: u32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            attempts_per_ip: 300,
            failures_per_ip: 20,
            ip_window_secs: 300,
            failures_per_email: 5,
            email_window_secs: 3600,
            backoff_unit_ms: 1000,
            backoff_max_secs: 900,
            registrations_per_ip: 10,
            register_window_secs: 3600,
            attempts_per_account: 100,
        }
    }
}

/// What every function reads: the table, CORS, throttling and the
/// idempotency lease. What only some functions need (token keys, the cursor
/// secret, queues, the audit table) is read from [`Config::vars`] by the
/// context that holds it, so a function reads only its own variables and
/// fails its cold start, naming the variable, when one is missing.
#[derive(Debug, Clone)]
pub struct Config {
    pub environment: String,
    pub table_name: String,
    pub cors_origins: Vec<String>,
    pub login_limits: LoginLimits,
    /// How long a claimed `Idempotency-Key` stays "in progress" before a
    /// retry may claim it again (`IDEMPOTENCY_LEASE_SECS`; the functions'
    /// timeout, 10 s, by default).
    pub idempotency_lease_secs: u64,
    /// Every variable the function was started with.
    pub vars: Vars,
}

/// The environment a function was started with. Values are trimmed; an
/// empty value counts as unset. Its `Debug` shows names only: values may
/// be secrets.
#[derive(Clone, Default)]
pub struct Vars(HashMap<String, String>);

impl std::fmt::Debug for Vars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        f.debug_tuple("Vars").field(&names).finish()
    }
}

impl From<HashMap<String, String>> for Vars {
    fn from(vars: HashMap<String, String>) -> Self {
        Self(vars)
    }
}

impl Vars {
    /// The process environment.
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<&str, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing(name))
    }

    /// A whole number, `default` when unset.
    pub fn number<T: std::str::FromStr>(
        &self,
        var: &'static str,
        default: T,
    ) -> Result<T, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| ConfigError::Invalid {
                var,
                reason: format!("{raw:?} is not a positive whole number"),
            }),
        }
    }

    /// A secret of at least [`MIN_SECRET_BYTES`].
    pub fn secret(&self, var: &'static str) -> Result<&str, ConfigError> {
        let secret = self.required(var)?;
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ConfigError::Invalid {
                var,
                reason: format!("must be at least {MIN_SECRET_BYTES} bytes"),
            });
        }
        Ok(secret)
    }
}

/// The queues every event is sent to.
pub const EVENT_QUEUE_VARIABLES: [&str; 4] = [
    "AUDIT_QUEUE_URL",
    "AUTOMATION_QUEUE_URL",
    "WEBHOOKS_QUEUE_URL",
    "STATS_QUEUE_URL",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {var} is invalid: {reason}")]
    Invalid { var: &'static str, reason: String },
}

/// The endpoint variables `template.yaml` declares for `sam local`.
pub const LOCAL_ENDPOINTS: [&str; 5] = [
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_SESV2",
];

/// Local development origins (DESIGN §8).
pub const DEFAULT_CORS_ORIGINS: &str = "http://localhost:5173,http://127.0.0.1:5173";
/// Secrets shorter than this are refused (HS256 keys, cursor keys).
pub const MIN_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(Vars::from_process())
    }

    /// Reads a given set of variables (tests, the local runtime).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::read(Vars::from(vars.clone()))
    }

    pub fn read(vars: Vars) -> Result<Self, ConfigError> {
        // The template declares these for `sam local` only; without its
        // env-vars file they are empty, and the SDK would take "" for an
        // endpoint.
        for name in LOCAL_ENDPOINTS {
            if vars.0.get(name).is_some_and(|v| v.trim().is_empty()) {
                return Err(ConfigError::Invalid {
                    var: name,
                    reason: "is set but empty: `sam local` needs the env-vars file `make sam-env` \
                             writes (docs/local-development.md#sam-local)"
                        .into(),
                });
            }
        }
        let table_name = vars.required("TABLE_NAME")?.to_owned();
        if table_name.len() < 3 || table_name.len() > 255 {
            return Err(ConfigError::Invalid {
                var: "TABLE_NAME",
                reason: "must be 3 to 255 characters".into(),
            });
        }
        let cors_origins = vars
            .get("CORS_ORIGINS")
            .unwrap_or(DEFAULT_CORS_ORIGINS)
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        let idempotency_lease_secs = vars.number("IDEMPOTENCY_LEASE_SECS", 10_u64)?;
        if !(1..=900).contains(&idempotency_lease_secs) {
            return Err(ConfigError::Invalid {
                var: "IDEMPOTENCY_LEASE_SECS",
                reason: "must be 1 to 900 (a Lambda function's longest timeout)".into(),
            });
        }
        Ok(Self {
            environment: vars.get("ENVIRONMENT").unwrap_or("dev").to_owned(),
            table_name,
            cors_origins,
            login_limits: LoginLimits::from_vars(&vars)?,
            idempotency_lease_secs,
            vars,
        })
    }
}

impl LoginLimits {
    /// The limits, each variable falling back to its default.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let d = LoginLimits::default();
        Ok(LoginLimits {
            attempts_per_ip: vars.number("LOGIN_ATTEMPTS_PER_IP", d.attempts_per_ip)?,
            ip_window_secs: vars.number("LOGIN_IP_WINDOW_SECS", d.ip_window_secs)?,
            failures_per_email: vars.number("LOGIN_FAILURES_PER_EMAIL", d.failures_per_email)?,
            email_window_secs: vars.number("LOGIN_EMAIL_WINDOW_SECS", d.email_window_secs)?,
            failures_per_ip: vars.number("LOGIN_FAILURES_PER_IP", d.failures_per_ip)?,
            attempts_per_account: vars
                .number("LOGIN_ATTEMPTS_PER_ACCOUNT", d.attempts_per_account)?,
            backoff_unit_ms: vars.number("LOGIN_BACKOFF_UNIT_MS", d.backoff_unit_ms)?,
            backoff_max_secs: vars.number("LOGIN_BACKOFF_MAX_SECS", d.backoff_max_secs)?,
            registrations_per_ip: vars.number("REGISTRATIONS_PER_IP", d.registrations_per_ip)?,
            register_window_secs: vars.number("REGISTER_IP_WINDOW_SECS", d.register_window_secs)?,
        })
    }
}

impl JwtConfig {
    /// The token settings of a function that verifies access tokens:
    /// `JWT_ALGORITHM` (EdDSA by default), its verification key
    /// (`JWT_PUBLIC_KEY`, or `JWT_SECRET` for HS256), `JWT_ISSUER` and
    /// `JWT_AUDIENCE`.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let algorithm = match vars.get("JWT_ALGORITHM").unwrap_or("EdDSA") {
            "EdDSA" => JwtAlgorithm::EdDsa,
            "RS256" => JwtAlgorithm::Rs256,
            "HS256" => JwtAlgorithm::Hs256,
            other => {
                return Err(ConfigError::Invalid {
                    var: "JWT_ALGORITHM",
                    reason: format!("{other:?} is not one of EdDSA, RS256, HS256"),
                })
            }
        };
        let verification_key = match algorithm {
            JwtAlgorithm::Hs256 => vars.secret("JWT_SECRET")?.as_bytes().to_vec(),
            _ => unescape_pem(vars.required("JWT_PUBLIC_KEY")?).into_bytes(),
        };
        // "none" (or "-") says there is no previous key: a template parameter
        // read from SSM cannot be empty.
        let previous_verification_key = match algorithm {
            JwtAlgorithm::Hs256 => None,
            _ => vars
                .get("JWT_PREVIOUS_PUBLIC_KEY")
                .filter(|v| !v.eq_ignore_ascii_case("none") && *v != "-")
                .map(|pem| unescape_pem(pem).into_bytes()),
        };
        Ok(JwtConfig {
            algorithm,
            verification_key,
            previous_verification_key,
            issuer: vars.get("JWT_ISSUER").unwrap_or("opsflow").to_owned(),
            audience: vars.get("JWT_AUDIENCE").unwrap_or("opsflow-api").to_owned(),
        })
    }
}

impl SigningKeySource {
    /// Where the function that issues tokens finds its private key
    /// (`JWT_PRIVATE_KEY`, else `JWT_PRIVATE_KEY_SECRET_ARN`); `None` for
    /// HS256, whose verification secret also signs.
    pub fn from_vars(vars: &Vars, jwt: &JwtConfig) -> Result<Option<Self>, ConfigError> {
        if jwt.algorithm == JwtAlgorithm::Hs256 {
            return Ok(None);
        }
        if let Some(pem) = vars.get("JWT_PRIVATE_KEY") {
            Ok(Some(Self::Pem(unescape_pem(pem))))
        } else if let Some(arn) = vars.get("JWT_PRIVATE_KEY_SECRET_ARN") {
            Ok(Some(Self::SecretArn(arn.to_owned())))
        } else {
            Err(ConfigError::Missing(
                "JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_SECRET_ARN",
            ))
        }
    }
}

/// PEMs in environment variables often arrive with `\n` escapes.
fn unescape_pem(value: &str) -> String {
    value.replace("\\n", "\n")
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
