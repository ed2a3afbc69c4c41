//! Configuration from the environment: what each capability reads, the
//! defaults, and every invalid value named by its variable.

use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn missing_table_name_is_named() {
    let error = Config::from_vars(&vars(&[])).unwrap_err();
    assert_eq!(error, ConfigError::Missing("TABLE_NAME"));
    assert!(error.to_string().contains("TABLE_NAME"));
}

/// The token settings of `vars` (on top of a table name).
fn jwt(pairs: &[(&str, &str)]) -> Result<JwtConfig, ConfigError> {
    let config = Config::from_vars(&vars(&[("TABLE_NAME", "opsflow-dev")])).unwrap();
    let mut all = config.vars.0.clone();
    all.extend(vars(pairs));
    JwtConfig::from_vars(&Vars::from(all))
}

#[test]
fn verifying_functions_need_a_public_key() {
    let error = jwt(&[]).unwrap_err();
    assert_eq!(error, ConfigError::Missing("JWT_PUBLIC_KEY"));
}

#[test]
fn short_hs256_secrets_are_refused() {
    let error = jwt(&[("JWT_ALGORITHM", "HS256"), ("JWT_SECRET", "too-short")]).unwrap_err();
    assert!(matches!(
        error,
        ConfigError::Invalid {
            var: "JWT_SECRET",
            ..
        }
    ));
}

#[test]
fn unknown_algorithms_are_refused() {
    let error = jwt(&[("JWT_ALGORITHM", "none")]).unwrap_err();
    assert!(matches!(
        error,
        ConfigError::Invalid {
            var: "JWT_ALGORITHM",
            ..
        }
    ));
}

#[test]
fn signing_needs_a_private_key_source() {
    let mut env = vars(&[("JWT_PUBLIC_KEY", "pem")]);
    let jwt_config = JwtConfig::from_vars(&Vars::from(env.clone())).unwrap();
    let error = SigningKeySource::from_vars(&Vars::from(env.clone()), &jwt_config).unwrap_err();
    assert_eq!(
        error,
        ConfigError::Missing("JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_SECRET_ARN")
    );
    env.insert(
        "JWT_PRIVATE_KEY_SECRET_ARN".into(),
        "arn:aws:secretsmanager:x".into(),
    );
    assert_eq!(
        SigningKeySource::from_vars(&Vars::from(env), &jwt_config).unwrap(),
        Some(SigningKeySource::SecretArn(
            "arn:aws:secretsmanager:x".into()
        ))
    );
}

#[test]
fn hs256_signs_with_its_verification_secret() {
    let env = Vars::from(vars(&[
        ("JWT_ALGORITHM", "HS256"),
        ("JWT_SECRET", &"s".repeat(MIN_SECRET_BYTES)),
    ]));
    let jwt_config = JwtConfig::from_vars(&env).unwrap();
    assert_eq!(
        SigningKeySource::from_vars(&env, &jwt_config).unwrap(),
        None
    );
}

#[test]
fn the_router_needs_every_event_queue() {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let mut env = vars(&[
        ("TABLE_NAME", "t-1"),
        ("AUDIT_QUEUE_URL", "a"),
        ("AUTOMATION_QUEUE_URL", "b"),
    ]);
    let refusal = |env: &HashMap<String, String>| {
        crate::pipeline::router::Router::from_config(
            Config::from_vars(env).unwrap(),
            &sdk,
            &crate::registry::Registry::new(),
        )
        .err()
        .map(|e| e.to_string())
    };
    assert_eq!(
        refusal(&env).as_deref(),
        Some("environment variable WEBHOOKS_QUEUE_URL is required")
    );
    env.insert("WEBHOOKS_QUEUE_URL".into(), "c".into());
    assert_eq!(
        refusal(&env).as_deref(),
        Some("environment variable STATS_QUEUE_URL is required")
    );
    env.insert("STATS_QUEUE_URL".into(), "s".into());
    assert_eq!(
        refusal(&env).as_deref(),
        Some("environment variable QUARANTINE_QUEUE_URL is required")
    );
    env.insert("QUARANTINE_QUEUE_URL".into(), "q".into());
    assert_eq!(refusal(&env), None);
}

#[test]
fn secrets_are_not_in_debug_output() {
    let config = Config::from_vars(&vars(&[
        ("TABLE_NAME", "t-1"),
        ("JWT_SECRET", "do-not-print-this-secret-anywhere"),
    ]))
    .unwrap();
    let shown = format!("{config:?}");
    assert!(shown.contains("JWT_SECRET"), "{shown}");
    assert!(!shown.contains("do-not-print"), "{shown}");
}

#[test]
fn idempotency_leases_default_to_the_timeout_and_stay_within_a_lambda_timeout() {
    let mut env = vars(&[("TABLE_NAME", "t-1")]);
    let config = Config::from_vars(&env).unwrap();
    assert_eq!(config.idempotency_lease_secs, 10);
    for bad in ["0", "901", "soon"] {
        env.insert("IDEMPOTENCY_LEASE_SECS".into(), bad.into());
        let error = Config::from_vars(&env).unwrap_err();
        assert!(matches!(
            error,
            ConfigError::Invalid {
                var: "IDEMPOTENCY_LEASE_SECS",
                ..
            }
        ));
    }
}

#[test]
fn throttling_defaults_are_the_documented_ones() {
    let config = Config::from_vars(&vars(&[("TABLE_NAME", "t-1")])).unwrap();
    let limits = config.login_limits;
    assert_eq!(
        (
            limits.failures_per_ip,
            limits.attempts_per_ip,
            limits.ip_window_secs
        ),
        (20, 300, 300)
    );
    assert_eq!(
        (
            limits.failures_per_email,
            limits.backoff_unit_ms,
            limits.backoff_max_secs,
            limits.email_window_secs
        ),
        (5, 1000, 900, 3600)
    );
    assert_eq!(
        (limits.registrations_per_ip, limits.register_window_secs),
        (10, 3600)
    );
}

#[test]
fn cors_origins_default_to_local_frontends() {
    let config = Config::from_vars(&vars(&[("TABLE_NAME", "t-1")])).unwrap();
    assert_eq!(
        config.cors_origins,
        ["http://localhost:5173", "http://127.0.0.1:5173"]
    );
}

#[test]
fn an_endpoint_sam_local_left_empty_is_named() {
    let error = Config::from_vars(&vars(&[
        ("TABLE_NAME", "opsflow-dev"),
        ("AWS_ENDPOINT_URL_SQS", ""),
    ]))
    .unwrap_err();
    assert!(
        error.to_string().contains("AWS_ENDPOINT_URL_SQS"),
        "{error}"
    );
    assert!(error.to_string().contains("make sam-env"), "{error}");
    let set = Config::from_vars(&vars(&[
        ("TABLE_NAME", "opsflow-dev"),
        ("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000"),
    ]));
    assert!(set.is_ok());
}
