//! The repository's own `template.yaml`, read as `opsflow-local` reads it:
//! its functions, routes, tables, bucket, e-mail identity and CORS
//! settings, and the main table
//! matching the schema the Rust code (and its tests) create. The `iam`
//! module reads it as CloudFormation will: expanded by the SAM translator.
//!
//! Invariant: the tests read the repository's template itself, so they
//! fail when it drifts.

mod alarms;
mod iam;

use opsflow_local::template::{
    self, BucketDef, EmailIdentityDef, EventSource, FunctionDef, HttpRoute, LocalContext, TableDef,
    Template,
};
use opsflow_platform::store::schema::{AUDIT_INDEXES, INDEXES, TTL_ATTRIBUTE};
use std::collections::BTreeSet;
use std::path::Path;

const SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:opsflow-local-jwt-signing-key";
/// The value the SSM-typed `JwtPublicKey` parameter is given locally.
const PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----";

fn context() -> LocalContext {
    LocalContext {
        parameters: [
            ("JwtSigningKeySecretArn", SECRET_ARN),
            ("JwtPublicKey", PUBLIC_KEY),
            ("JwtPreviousPublicKey", "none"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        sqs_endpoint: "http://127.0.0.1:5000".into(),
        ..LocalContext::default()
    }
}

fn real_template(ctx: &LocalContext) -> Template {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    template::load(&path, ctx).expect("template.yaml should load")
}

fn route(method: &str, path: &str, function: &str) -> HttpRoute {
    HttpRoute {
        method: method.into(),
        path: path.into(),
        function: function.into(),
    }
}

/// The binaries of the function packages: `functions/<name>/Cargo.toml`
/// names its binary `<name>`.
fn function_binaries() -> std::collections::BTreeSet<String> {
    let functions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../functions");
    std::fs::read_dir(&functions)
        .expect("functions/")
        .map(|entry| entry.expect("a function folder").path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .map(|path| {
            let manifest = std::fs::read_to_string(path.join("Cargo.toml")).expect("Cargo.toml");
            let name = path
                .file_name()
                .expect("a folder name")
                .to_string_lossy()
                .into_owned();
            assert!(
                manifest.contains(&format!("name = \"{name}\"\npath = \"src/main.rs\"")),
                "functions/{name} builds a binary named {name}"
            );
            name
        })
        .collect()
}

/// The cargo binaries of these functions.
fn binaries_of<'a>(functions: impl Iterator<Item = &'a FunctionDef>) -> BTreeSet<String> {
    functions.map(|f| f.binary.clone()).collect()
}

#[test]
fn functions_and_their_binaries() {
    let template = real_template(&context());
    // Every function of the template is built from a package of its own
    // under functions/, named `<Name>Function` after its binary, and every
    // such package is deployed.
    for f in &template.functions {
        let camel: String = f
            .binary
            .split('-')
            .map(|word| word[..1].to_uppercase() + &word[1..])
            .collect();
        assert_eq!(f.logical_id, format!("{camel}Function"), "{}", f.binary);
    }
    let binaries = binaries_of(template.functions.iter());
    assert_eq!(
        binaries.len(),
        template.functions.len(),
        "one function per binary"
    );
    assert_eq!(binaries, function_binaries());
    let auth = template.function("AuthFunction").unwrap();
    assert_eq!(auth.function_name, "opsflow-dev-auth");
    assert_eq!(auth.architecture, "arm64");
    assert_eq!(auth.timeout_secs, 10);
    assert_eq!(auth.memory_mb, 256);
    assert_eq!(template.function("HealthFunction").unwrap().memory_mb, 128);
}

#[test]
fn routes() {
    let template = real_template(&context());
    assert!(template
        .routes
        .contains(&route("GET", "/api/v1/users/{id}", "UsersFunction")));
    assert!(template
        .routes
        .contains(&route("POST", "/api/v1/auth/login", "AuthFunction")));
    assert!(template
        .routes
        .contains(&route("GET", "/health", "HealthFunction")));
    for (method, path) in [
        ("POST", "/api/v1/automation/execute"),
        ("GET", "/api/v1/automation/runs"),
    ] {
        assert!(template
            .routes
            .contains(&route(method, path, "AutomationFunction")));
    }
    let users = template.function("UsersFunction").unwrap();
    assert!(users
        .events
        .iter()
        .all(|e| matches!(e, EventSource::Http(r) if r.function == "UsersFunction")));
}

#[test]
fn main_table() {
    let template = real_template(&context());
    let table = template.table("MainTable").unwrap();
    assert_eq!(table.name, "opsflow-dev");
    let indexes: Vec<_> = table
        .global_indexes
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(indexes, ["gsi1", "gsi2"]);
    assert_eq!(table.stream_view_type.as_deref(), Some("NEW_IMAGE"));
    assert_eq!(table.ttl_attribute.as_deref(), Some("expires_at"));
    assert_eq!(
        template.table("AuditTable").unwrap().name,
        "opsflow-audit-dev"
    );
}

/// A table of the template has exactly the keys and indexes the Rust
/// schema (used to create tables in tests) gives it.
fn assert_matches_schema(table: &TableDef, indexes: &[(&str, &str, &str)]) {
    assert_eq!(table.hash_key, "pk");
    assert_eq!(table.range_key.as_deref(), Some("sk"));
    assert_eq!(
        table.global_indexes.len(),
        indexes.len(),
        "{}",
        table.logical_id
    );
    for &(name, pk, sk) in indexes {
        let index = table
            .global_indexes
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("{} has no index {name}", table.logical_id));
        assert_eq!(index.hash_key, pk, "{name}");
        assert_eq!(index.range_key.as_deref(), Some(sk), "{name}");
        assert_eq!(index.projection, "ALL", "{name}");
    }
    for attribute in ["pk", "sk"]
        .into_iter()
        .chain(indexes.iter().flat_map(|(_, pk, sk)| [*pk, *sk]))
    {
        assert_eq!(
            table.attributes.get(attribute).map(String::as_str),
            Some("S"),
            "{attribute}"
        );
    }
    assert_eq!(table.attributes.len(), 2 + 2 * indexes.len());
}

#[test]
fn main_table_matches_the_rust_schema() {
    let template = real_template(&context());
    let table = template.table("MainTable").unwrap();
    assert_eq!(table.ttl_attribute.as_deref(), Some(TTL_ATTRIBUTE));
    assert_eq!(table.stream_view_type.as_deref(), Some("NEW_IMAGE"));
    assert_matches_schema(table, &INDEXES);
}

#[test]
fn audit_table_matches_the_rust_schema() {
    let template = real_template(&context());
    let table = template.table("AuditTable").unwrap();
    assert_eq!(table.ttl_attribute, None, "audit records are kept");
    assert_matches_schema(table, &AUDIT_INDEXES);
}

#[test]
fn the_outbox_reaches_every_event_queue_and_only_the_audit_functions_know_the_audit_table() {
    let template = real_template(&context());
    let router = template.function("EventRouterFunction").unwrap();
    let source = router.stream_sources().next().expect("a stream trigger");
    assert_eq!(source.table, "MainTable");
    assert!(source.report_batch_item_failures);
    // A failing record is isolated and given up in bounded time, described
    // on the quarantine queue, never retried until the stream trims it.
    assert!(source.bisect_batch_on_function_error);
    assert!(source.maximum_retry_attempts >= 0);
    assert!((0..86_400).contains(&source.maximum_record_age_secs));
    assert_eq!(source.on_failure.as_deref(), Some("EventQuarantineQueue"));
    let quarantine = &template.queue("EventQuarantineQueue").unwrap().name;
    assert!(router
        .environment
        .get("QUARANTINE_QUEUE_URL")
        .is_some_and(|url| url.ends_with(quarantine.as_str())));
    assert_eq!(
        source.filter_patterns,
        [serde_json::json!({"dynamodb": {"NewImage": {"type": {"S": ["event"]}}}})]
    );
    for queue in [
        "AuditQueue",
        "AutomationQueue",
        "WebhooksQueue",
        "StatsQueue",
        "JobsQueue",
        "JobsHighQueue",
        "InsightsQueue",
    ] {
        let redrive = template
            .queue(queue)
            .unwrap()
            .redrive
            .clone()
            .expect("a DLQ");
        assert_eq!(redrive.max_receive_count, 5, "{queue}");
    }
    let variables: Vec<&String> = router
        .environment
        .keys()
        .filter(|k| k.ends_with("_QUEUE_URL"))
        .collect();
    // The four event queues, the two jobs lanes, the insights lane and
    // the quarantine.
    assert_eq!(variables.len(), 8);
    for function in &template.functions {
        let has_audit_table = function.environment.contains_key("AUDIT_TABLE_NAME");
        assert_eq!(
            has_audit_table,
            ["AuditWriterFunction", "AuditLogsFunction"].contains(&function.logical_id.as_str()),
            "{}",
            function.logical_id
        );
    }
    for (consumer, queue_id) in [
        ("AuditWriterFunction", "AuditQueue"),
        ("StatsAggregatorFunction", "StatsQueue"),
    ] {
        let queue = template.function(consumer).unwrap().sqs_sources().next();
        let queue = queue.expect("an SQS trigger");
        assert_eq!(queue.queue, queue_id);
        assert!(queue.report_batch_item_failures, "{consumer}");
    }
}

#[test]
fn the_audit_log_is_routed_for_reading_and_client_entries_only() {
    let template = real_template(&context());
    let mut routes: Vec<&HttpRoute> = template
        .routes
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/auditLogs"))
        .collect();
    routes.sort_by_key(|r| r.route_key());
    assert_eq!(
        routes,
        [
            &route("GET", "/api/v1/auditLogs", "AuditLogsFunction"),
            &route("GET", "/api/v1/auditLogs/{id}", "AuditLogsFunction"),
            &route("POST", "/api/v1/auditLogs", "AuditLogsFunction"),
        ]
    );
}

#[test]
fn the_signing_key_reaches_auth_only() {
    let template = real_template(&context());
    let auth = &template.function("AuthFunction").unwrap().environment;
    assert_eq!(auth["JWT_PRIVATE_KEY_SECRET_ARN"], SECRET_ARN);
    assert_eq!(auth["TABLE_NAME"], "opsflow-dev");
    assert_eq!(auth["ENVIRONMENT"], "dev");
    assert_eq!(
        auth["CORS_ORIGINS"],
        "http://localhost:5173,http://127.0.0.1:5173"
    );
    let users = &template.function("UsersFunction").unwrap().environment;
    assert!(!users.contains_key("JWT_PRIVATE_KEY_SECRET_ARN"));
    let health = &template.function("HealthFunction").unwrap().environment;
    assert!(!health.contains_key("JWT_PRIVATE_KEY_SECRET_ARN"));
    assert!(!health.contains_key("JWT_PUBLIC_KEY"));
}

#[test]
fn the_reports_bucket_and_the_sender_identity_are_created_locally() {
    let template = real_template(&context());
    assert_eq!(
        template.buckets,
        [BucketDef {
            logical_id: "ReportsBucket".into(),
            name: "opsflow-dev-reports-123456789012-us-east-1".into(),
        }]
    );
    assert_eq!(
        template.email_identities,
        [EmailIdentityDef {
            logical_id: "NotificationSenderIdentity".into(),
            identity: "opsflow@example.com".into(),
        }]
    );
    // Its settings have no local effect and are accepted silently; the
    // policy is not evaluated by moto, so it is skipped.
    assert!(!template
        .warnings
        .iter()
        .any(|w| w.contains("ReportsBucket.") || w.contains("NotificationSenderIdentity.")));
    assert!(template
        .warnings
        .contains(&"ignored locally: ReportsBucketPolicy (AWS::S3::BucketPolicy)".to_owned()));

    let mut ctx = context();
    ctx.parameters
        .insert("NotificationSender".into(), "jobs@opsflow.test".into());
    ctx.parameters.insert("Environment".into(), "qa".into());
    let template = real_template(&ctx);
    assert_eq!(
        template.bucket("ReportsBucket").unwrap().name,
        "opsflow-qa-reports-123456789012-us-east-1"
    );
    assert_eq!(
        template
            .email_identity("NotificationSenderIdentity")
            .unwrap()
            .identity,
        "jobs@opsflow.test"
    );
}

#[test]
fn cors_origins() {
    let template = real_template(&context());
    let cors = template.cors.unwrap();
    assert_eq!(
        cors.allow_origins,
        ["http://localhost:5173", "http://127.0.0.1:5173"]
    );
    assert_eq!(cors.max_age, Some(600));
    assert!(!cors.allow_credentials);
    assert!(cors.allow_headers.iter().any(|h| h == "authorization"));
}

#[test]
fn dynamic_references_are_reported_until_overridden() {
    let template = real_template(&context());
    assert!(
        template
            .warnings
            .iter()
            .any(|w| w.starts_with("UsersFunction: environment variable CURSOR_SECRET ")),
        "{:#?}",
        template.warnings
    );
    assert!(template
        .warnings
        .contains(&"ignored locally: HealthErrorsAlarm (AWS::CloudWatch::Alarm)".to_owned()));

    let mut ctx = context();
    ctx.environment_overrides = [
        ("JWT_PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----"),
        ("CURSOR_SECRET", "local-cursor-secret"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let template = real_template(&ctx);
    assert!(!template
        .warnings
        .iter()
        .any(|w| w.contains("dynamic reference")));
    let users = &template.function("UsersFunction").unwrap().environment;
    assert_eq!(users["CURSOR_SECRET"], "local-cursor-secret");
    // The public keys are parameters (read from SSM at each deploy), not
    // dynamic references: their local values are the parameters'.
    assert_eq!(users["JWT_PUBLIC_KEY"], "-----BEGIN PUBLIC KEY-----");
    assert_eq!(users["JWT_PREVIOUS_PUBLIC_KEY"], "none");
    // Not declared by HealthFunction, so not added there.
    let health = &template.function("HealthFunction").unwrap().environment;
    assert!(!health.contains_key("CURSOR_SECRET"));
}

#[test]
fn the_public_keys_are_read_from_ssm_at_every_deploy() {
    let ctx = LocalContext {
        parameters: [("JwtSigningKeySecretArn".to_owned(), SECRET_ARN.to_owned())]
            .into_iter()
            .collect(),
        ..context()
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    let message = format!("{:#}", template::load(&path, &ctx).unwrap_err());
    assert!(message.contains("JwtPublicKey"), "{message}");
    assert!(message.contains("SSM Parameter Store"), "{message}");
}

#[test]
fn the_signing_key_parameter_is_required() {
    let ctx = LocalContext::default();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    let message = format!("{:#}", template::load(&path, &ctx).unwrap_err());
    assert!(message.contains("JwtSigningKeySecretArn"), "{message}");
    assert!(message.contains("Resources.AuthFunction"), "{message}");
}

#[test]
fn parameter_overrides_rename_resources() {
    let mut ctx = context();
    ctx.parameters.insert("Environment".into(), "qa".into());
    let template = real_template(&ctx);
    assert_eq!(template.table("MainTable").unwrap().name, "opsflow-qa");
    assert_eq!(
        template.function("UsersFunction").unwrap().environment["TABLE_NAME"],
        "opsflow-qa"
    );
}

/// The functions each module's RBAC matrix covers: the `FUNCTIONS` of
/// every `shared/<module>/tests/api/rbac.rs`.
fn rbac_owners() -> Vec<(String, String)> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let mut owners = Vec::new();
    for module in std::fs::read_dir(&shared).expect("shared/") {
        let module = module.expect("a module folder").path();
        let Ok(text) = std::fs::read_to_string(module.join("tests/api/rbac.rs")) else {
            continue;
        };
        let declared = text
            .split("const FUNCTIONS: &[&str] = &[")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .expect("rbac.rs declares its FUNCTIONS");
        for function in declared.split(',').map(|f| f.trim().trim_matches('"')) {
            if !function.is_empty() {
                let name = module.file_name().expect("a folder name");
                owners.push((function.to_owned(), name.to_string_lossy().into_owned()));
            }
        }
    }
    owners
}

#[test]
fn every_function_with_routes_is_in_exactly_one_modules_rbac_matrix() {
    let template = real_template(&context());
    let with_routes = binaries_of(
        template
            .functions
            .iter()
            .filter(|f| template.routes.iter().any(|r| r.function == f.logical_id)),
    );
    let owners = rbac_owners();
    for function in &with_routes {
        let matrices: Vec<&String> = owners
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, module)| module)
            .collect();
        assert_eq!(
            matrices.len(),
            1,
            "{function} is in the RBAC matrix of {matrices:?}"
        );
    }
    for (function, module) in &owners {
        assert!(
            with_routes.contains(function),
            "{module}'s matrix names {function}, which has no routes"
        );
    }
}
