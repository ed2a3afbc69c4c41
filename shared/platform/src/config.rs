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
/// - Per account (by e-mail address; `PATCH /users/{id}` with
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

/// What a function needs beyond the table; each main asks for its parts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    pub verify_tokens: bool,
    pub sign_tokens: bool,
    pub cursors: bool,
    /// `AUDIT_TABLE_NAME` (the audit writer and reader).
    pub audit_table: bool,
    /// `AUDIT_QUEUE_URL`, `AUTOMATION_QUEUE_URL`, `WEBHOOKS_QUEUE_URL` and
    /// `QUARANTINE_QUEUE_URL` (the router).
    pub event_queues: bool,
    /// `WEBHOOKS_QUEUE_URL`, and `JOBS_QUEUE_URL` if set (the automation
    /// runner: where its actions send messages).
    pub action_queues: bool,
}

impl Needs {
    /// Nothing beyond the table (the probes).
    pub const NOTHING: Needs = Needs {
        verify_tokens: false,
        sign_tokens: false,
        cursors: false,
        audit_table: false,
        event_queues: false,
        action_queues: false,
    };

    /// An API function: it verifies access tokens and signs list cursors.
    pub const API: Needs = Needs {
        verify_tokens: true,
        cursors: true,
        ..Needs::NOTHING
    };
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: String,
    pub table_name: String,
    pub cors_origins: Vec<String>,
    pub jwt: Option<JwtConfig>,
    pub signing_key: Option<SigningKeySource>,
    pub cursor_secret: Option<Vec<u8>>,
    pub login_limits: LoginLimits,
    /// How long a claimed `Idempotency-Key` stays "in progress" before a
    /// retry may claim it again (`IDEMPOTENCY_LEASE_SECS`; the functions'
    /// timeout, 10 s, by default).
    pub idempotency_lease_secs: u64,
    pub audit_table_name: Option<String>,
    /// Every queue an event goes to, in the order above.
    pub event_queue_urls: Vec<String>,
    /// Where the router parks envelopes SQS refuses for good (with
    /// `event_queues`).
    pub quarantine_queue_url: Option<String>,
    /// Where `notify_webhook` actions send (with `action_queues`).
    pub webhooks_queue_url: Option<String>,
    /// Where `enqueue_job` actions send, if anywhere.
    pub jobs_queue_url: Option<String>,
}

/// The queues every event is sent to.
pub const EVENT_QUEUE_VARIABLES: [&str; 3] = [
    "AUDIT_QUEUE_URL",
    "AUTOMATION_QUEUE_URL",
    "WEBHOOKS_QUEUE_URL",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {var} is invalid: {reason}")]
    Invalid { var: &'static str, reason: String },
}

/// Local development origins (DESIGN §8).
pub const DEFAULT_CORS_ORIGINS: &str = "http://localhost:5173,http://localhost:3000";
/// Secrets shorter than this are refused (HS256 keys, cursor keys).
pub const MIN_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads the process environment.
    pub fn from_env(needs: Needs) -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_vars(&vars, needs)
    }

    /// Reads a given set of variables (tests, the local runtime).
    pub fn from_vars(vars: &HashMap<String, String>, needs: Needs) -> Result<Self, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let required = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));

        let table_name = required("TABLE_NAME")?.to_owned();
        if table_name.len() < 3 || table_name.len() > 255 {
            return Err(ConfigError::Invalid {
                var: "TABLE_NAME",
                reason: "must be 3 to 255 characters".into(),
            });
        }
        let cors_origins = get("CORS_ORIGINS")
            .unwrap_or(DEFAULT_CORS_ORIGINS)
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();

        let jwt = if needs.verify_tokens || needs.sign_tokens {
            Some(jwt_config(&get)?)
        } else {
            None
        };
        let signing_key = match (&jwt, needs.sign_tokens) {
            (Some(jwt), true) if jwt.algorithm != JwtAlgorithm::Hs256 => {
                if let Some(pem) = get("JWT_PRIVATE_KEY") {
                    Some(SigningKeySource::Pem(unescape_pem(pem)))
                } else if let Some(arn) = get("JWT_PRIVATE_KEY_SECRET_ARN") {
                    Some(SigningKeySource::SecretArn(arn.to_owned()))
                } else {
                    return Err(ConfigError::Missing(
                        "JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_SECRET_ARN",
                    ));
                }
            }
            _ => None,
        };
        let cursor_secret = if needs.cursors {
            let secret = required("CURSOR_SECRET")?;
            if secret.len() < MIN_SECRET_BYTES {
                return Err(ConfigError::Invalid {
                    var: "CURSOR_SECRET",
                    reason: format!("must be at least {MIN_SECRET_BYTES} bytes"),
                });
            }
            Some(secret.as_bytes().to_vec())
        } else {
            None
        };

        let defaults = LoginLimits::default();
        let login_limits = LoginLimits {
            attempts_per_ip: number(&get, "LOGIN_ATTEMPTS_PER_IP", defaults.attempts_per_ip)?,
            ip_window_secs: number(&get, "LOGIN_IP_WINDOW_SECS", defaults.ip_window_secs)?,
            failures_per_email: number(
                &get,
                "LOGIN_FAILURES_PER_EMAIL",
                defaults.failures_per_email,
            )?,
            email_window_secs: number(&get, "LOGIN_EMAIL_WINDOW_SECS", defaults.email_window_secs)?,
            failures_per_ip: number(&get, "LOGIN_FAILURES_PER_IP", defaults.failures_per_ip)?,
            attempts_per_account: number(
                &get,
                "LOGIN_ATTEMPTS_PER_ACCOUNT",
                defaults.attempts_per_account,
            )?,
            backoff_unit_ms: number(&get, "LOGIN_BACKOFF_UNIT_MS", defaults.backoff_unit_ms)?,
            backoff_max_secs: number(&get, "LOGIN_BACKOFF_MAX_SECS", defaults.backoff_max_secs)?,
            registrations_per_ip: number(
                &get,
                "REGISTRATIONS_PER_IP",
                defaults.registrations_per_ip,
            )?,
            register_window_secs: number(
                &get,
                "REGISTER_IP_WINDOW_SECS",
                defaults.register_window_secs,
            )?,
        };
        let idempotency_lease_secs = number(&get, "IDEMPOTENCY_LEASE_SECS", 10_u64)?;
        if !(1..=900).contains(&idempotency_lease_secs) {
            return Err(ConfigError::Invalid {
                var: "IDEMPOTENCY_LEASE_SECS",
                reason: "must be 1 to 900 (a Lambda function's longest timeout)".into(),
            });
        }

        let audit_table_name = if needs.audit_table {
            Some(required("AUDIT_TABLE_NAME")?.to_owned())
        } else {
            None
        };
        let event_queue_urls = if needs.event_queues {
            EVENT_QUEUE_VARIABLES
                .iter()
                .map(|var| required(var).map(str::to_owned))
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        let quarantine_queue_url = if needs.event_queues {
            Some(required("QUARANTINE_QUEUE_URL")?.to_owned())
        } else {
            None
        };

        let (webhooks_queue_url, jobs_queue_url) = if needs.action_queues {
            (
                Some(required("WEBHOOKS_QUEUE_URL")?.to_owned()),
                get("JOBS_QUEUE_URL").map(str::to_owned),
            )
        } else {
            (None, None)
        };

        Ok(Self {
            environment: get("ENVIRONMENT").unwrap_or("dev").to_owned(),
            table_name,
            cors_origins,
            jwt,
            signing_key,
            cursor_secret,
            login_limits,
            idempotency_lease_secs,
            audit_table_name,
            event_queue_urls,
            quarantine_queue_url,
            webhooks_queue_url,
            jobs_queue_url,
        })
    }
}

fn jwt_config<'a>(get: &impl Fn(&str) -> Option<&'a str>) -> Result<JwtConfig, ConfigError> {
    let algorithm = match get("JWT_ALGORITHM").unwrap_or("EdDSA") {
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
        JwtAlgorithm::Hs256 => {
            let secret = get("JWT_SECRET").ok_or(ConfigError::Missing("JWT_SECRET"))?;
            if secret.len() < MIN_SECRET_BYTES {
                return Err(ConfigError::Invalid {
                    var: "JWT_SECRET",
                    reason: format!("must be at least {MIN_SECRET_BYTES} bytes"),
                });
            }
            secret.as_bytes().to_vec()
        }
        _ => unescape_pem(get("JWT_PUBLIC_KEY").ok_or(ConfigError::Missing("JWT_PUBLIC_KEY"))?)
            .into_bytes(),
    };
    Ok(JwtConfig {
        algorithm,
        verification_key,
        issuer: get("JWT_ISSUER").unwrap_or("opsflow").to_owned(),
        audience: get("JWT_AUDIENCE").unwrap_or("opsflow-api").to_owned(),
    })
}

/// PEMs in environment variables often arrive with `\n` escapes.
fn unescape_pem(value: &str) -> String {
    value.replace("\\n", "\n")
}

fn number<'a, T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<&'a str>,
    var: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|_| ConfigError::Invalid {
            var,
            reason: format!("{raw:?} is not a positive whole number"),
        }),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
