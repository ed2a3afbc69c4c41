//! Configuration from the environment: what each function needs, the
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
    let error = Config::from_vars(&vars(&[]), Needs::default()).unwrap_err();
    assert_eq!(error, ConfigError::Missing("TABLE_NAME"));
    assert!(error.to_string().contains("TABLE_NAME"));
}

#[test]
fn verifying_functions_need_a_public_key() {
    let needs = Needs {
        verify_tokens: true,
        ..Needs::default()
    };
    let error = Config::from_vars(&vars(&[("TABLE_NAME", "opsflow-dev")]), needs).unwrap_err();
    assert_eq!(error, ConfigError::Missing("JWT_PUBLIC_KEY"));
}

#[test]
fn short_hs256_secrets_are_refused() {
    let needs = Needs {
        verify_tokens: true,
        ..Needs::default()
    };
    let env = vars(&[
        ("TABLE_NAME", "opsflow-dev"),
        ("JWT_ALGORITHM", "HS256"),
        ("JWT_SECRET", "too-short"),
    ]);
    let error = Config::from_vars(&env, needs).unwrap_err();
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
    let needs = Needs {
        verify_tokens: true,
        ..Needs::default()
    };
    let env = vars(&[("TABLE_NAME", "opsflow-dev"), ("JWT_ALGORITHM", "none")]);
    let error = Config::from_vars(&env, needs).unwrap_err();
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
    let needs = Needs {
        sign_tokens: true,
        ..Needs::default()
    };
    let mut env = vars(&[("TABLE_NAME", "opsflow-dev"), ("JWT_PUBLIC_KEY", "pem")]);
    assert!(Config::from_vars(&env, needs).is_err());
    env.insert(
        "JWT_PRIVATE_KEY_SECRET_ARN".into(),
        "arn:aws:secretsmanager:x".into(),
    );
    let config = Config::from_vars(&env, needs).unwrap();
    assert_eq!(
        config.signing_key,
        Some(SigningKeySource::SecretArn(
            "arn:aws:secretsmanager:x".into()
        ))
    );
}

#[test]
fn the_router_needs_every_event_queue() {
    let needs = Needs {
        event_queues: true,
        ..Needs::default()
    };
    let mut env = vars(&[
        ("TABLE_NAME", "t-1"),
        ("AUDIT_QUEUE_URL", "a"),
        ("AUTOMATION_QUEUE_URL", "b"),
    ]);
    let error = Config::from_vars(&env, needs).unwrap_err();
    assert_eq!(error, ConfigError::Missing("WEBHOOKS_QUEUE_URL"));
    env.insert("WEBHOOKS_QUEUE_URL".into(), "c".into());
    let error = Config::from_vars(&env, needs).unwrap_err();
    assert_eq!(error, ConfigError::Missing("QUARANTINE_QUEUE_URL"));
    env.insert("QUARANTINE_QUEUE_URL".into(), "q".into());
    let config = Config::from_vars(&env, needs).unwrap();
    assert_eq!(config.event_queue_urls, ["a", "b", "c"]);
    assert_eq!(config.quarantine_queue_url.as_deref(), Some("q"));
}

#[test]
fn the_runner_needs_the_webhooks_queue_and_may_have_a_jobs_queue() {
    let needs = Needs {
        action_queues: true,
        ..Needs::default()
    };
    let mut env = vars(&[("TABLE_NAME", "t-1")]);
    let error = Config::from_vars(&env, needs).unwrap_err();
    assert_eq!(error, ConfigError::Missing("WEBHOOKS_QUEUE_URL"));
    env.insert("WEBHOOKS_QUEUE_URL".into(), "w".into());
    let config = Config::from_vars(&env, needs).unwrap();
    assert_eq!(config.webhooks_queue_url.as_deref(), Some("w"));
    assert_eq!(config.jobs_queue_url, None);
    env.insert("JOBS_QUEUE_URL".into(), "j".into());
    let config = Config::from_vars(&env, needs).unwrap();
    assert_eq!(config.jobs_queue_url.as_deref(), Some("j"));
}

#[test]
fn idempotency_leases_default_to_the_timeout_and_stay_within_a_lambda_timeout() {
    let mut env = vars(&[("TABLE_NAME", "t-1")]);
    let config = Config::from_vars(&env, Needs::default()).unwrap();
    assert_eq!(config.idempotency_lease_secs, 10);
    for bad in ["0", "901", "soon"] {
        env.insert("IDEMPOTENCY_LEASE_SECS".into(), bad.into());
        let error = Config::from_vars(&env, Needs::default()).unwrap_err();
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
    let config = Config::from_vars(&vars(&[("TABLE_NAME", "t-1")]), Needs::default()).unwrap();
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
    let config = Config::from_vars(&vars(&[("TABLE_NAME", "t-1")]), Needs::default()).unwrap();
    assert_eq!(
        config.cors_origins,
        ["http://localhost:5173", "http://localhost:3000"]
    );
}
