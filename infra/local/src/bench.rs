//! `opsflow-local bench`: a fixed workload through the local runtime,
//! reported per function — cold-start init, warm p50/p99, peak memory,
//! binary size and an estimated Lambda cost — beside two baselines measured
//! in the same run on the same machine, each measured in turn with every
//! scenario (`Baselines`): a minimal `lambda_runtime` function
//! (`lambda-probe`) and a bare SDK `GetItem` against the same DynamoDB Local.
//!
//! Figures from a laptop-class machine and an emulator are for comparing
//! builds and changes, not a promise about AWS; the cost column applies
//! Lambda's published prices to the billed durations measured here.
//!
//! Invariant: every figure is measured in this run, each scenario invoked through
//! the same runtime `serve` uses.

mod report;

pub use report::{
    percentile, Paired, Row, PRICE_ARM_PER_GB_S, PRICE_PER_MILLION_REQUESTS, PRICE_X86_PER_GB_S,
};
use report::{render, row};

use crate::platform::{Platform, PlatformOptions};
use crate::runtime::{InvocationReport, Runtime, RuntimeOptions};
use crate::template::FunctionDef;
use crate::{seed, InvokeOutcome};
use anyhow::Context;
use opsflow_platform::store::Store;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;
/// Warm invocations of the (deliberately slow) login scenario.
const LOGIN_INVOCATIONS: usize = 30;
/// The hello-world baseline's logical id.
const PROBE: &str = "HelloWorld";

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub platform: PlatformOptions,
    pub cold_starts: usize,
    pub warm_invocations: usize,
    pub results_file: Option<PathBuf>,
}

/// One scenario: a function and the event it is driven with.
struct Scenario {
    function: String,
    label: String,
    event: Value,
}

fn scenario(function: &str, label: &str, event: Value) -> Scenario {
    Scenario {
        function: function.into(),
        label: label.into(),
        event,
    }
}

fn fixture(root: &Path, name: &str) -> anyhow::Result<Value> {
    let path = root.join("events").join(format!("{name}.json"));
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

fn with_token(mut event: Value, token: &str) -> Value {
    event["headers"]["authorization"] = json!(format!("Bearer {token}"));
    event
}

/// The `n`th request of a scenario. Logins come from distinct source
/// addresses, as many users' would, so the per-IP login limit does not
/// turn the benchmark into a rate-limit test.
fn nth_payload(event: &Value, n: usize, distinct_sources: bool) -> Vec<u8> {
    let mut event = event.clone();
    if distinct_sources {
        let address = format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
        event["requestContext"]["http"]["sourceIp"] = json!(address);
    }
    event.to_string().into_bytes()
}

/// What a scenario is compared with, measured between its own
/// invocations: a hello-world function's cold start after each of its cold
/// starts, and a bare SDK `GetItem` after each of its warm invocations. A
/// ratio then compares figures taken in the same moments of the run, so
/// that a machine that slows down or speeds up during the run (these are
/// shared machines) moves both sides alike.
struct Baselines<'a> {
    probe: &'a Runtime,
    dynamodb: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
    /// The item read: the bench admin's user item.
    user_id: String,
}

impl Baselines<'_> {
    /// A hello-world cold start's init duration.
    async fn hello_init(&self) -> anyhow::Result<Option<f64>> {
        self.probe.shutdown().await;
        let (outcome, report) = self.probe.invoke_function(PROBE, b"{}".to_vec()).await;
        check(PROBE, &outcome)?;
        Ok(report.and_then(|r| r.init_duration_ms))
    }

    /// One strongly consistent `GetItem`, in milliseconds.
    async fn get_item(&self) -> anyhow::Result<f64> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let started = Instant::now();
        self.dynamodb
            .get_item()
            .table_name(self.table)
            .key("pk", AttributeValue::S(format!("USER#{}", self.user_id)))
            .key("sk", AttributeValue::S("USER".into()))
            .consistent_read(true)
            .send()
            .await?;
        Ok(started.elapsed().as_secs_f64() * 1000.0)
    }
}

/// A scenario's measurements and its baselines', taken in turn.
#[derive(Default)]
struct Measured {
    inits: Vec<f64>,
    reports: Vec<InvocationReport>,
    hello_inits: Vec<f64>,
    get_items: Vec<f64>,
}

async fn measure(
    runtime: &Runtime,
    baselines: &Baselines<'_>,
    scenario: &Scenario,
    distinct_sources: bool,
    cold_starts: usize,
    warm: usize,
) -> anyhow::Result<Measured> {
    let function = scenario.function.as_str();
    let mut measured = Measured::default();
    for n in 0..cold_starts {
        runtime.shutdown().await;
        let payload = nth_payload(&scenario.event, n, distinct_sources);
        let (outcome, report) = runtime.invoke_function(function, payload).await;
        check(function, &outcome)?;
        measured
            .inits
            .extend(report.and_then(|r| r.init_duration_ms));
        measured.hello_inits.extend(baselines.hello_init().await?);
    }
    for n in 0..warm {
        let payload = nth_payload(&scenario.event, cold_starts + n, distinct_sources);
        let (outcome, report) = runtime.invoke_function(function, payload).await;
        check(function, &outcome)?;
        measured.reports.extend(report);
        measured.get_items.push(baselines.get_item().await?);
    }
    Ok(measured)
}

fn check(function: &str, outcome: &InvokeOutcome) -> anyhow::Result<()> {
    match outcome {
        InvokeOutcome::Success(body) => {
            let response: Value = serde_json::from_slice(body).unwrap_or_default();
            let status = response["statusCode"].as_u64().unwrap_or(200);
            anyhow::ensure!(
                status < 400,
                "{function} answered {status}: {}",
                response["body"]
            );
            Ok(())
        }
        other => anyhow::bail!("{function} failed: {other:?}"),
    }
}

/// Runs the workload and returns the report as Markdown.
pub async fn run(options: BenchOptions, root: &Path) -> anyhow::Result<String> {
    let mut platform_options = options.platform.clone();
    platform_options.print_logs = false;
    // Only the measured invocations run: no pollers in the background.
    platform_options.event_sources = false;
    let binaries = platform_options.binaries_dir.clone();
    let platform = Platform::start(platform_options.clone()).await?;
    let store = Store::new(platform.dynamodb.clone(), platform.table_name.clone());
    let logins = seed::seed(&store).await?;
    let admin = logins
        .iter()
        .find(|l| l.role == opsflow_platform::domain::Role::Admin)
        .and_then(|l| l.password.clone().map(|p| (l.email.clone(), p)))
        .context("the bench needs a fresh environment (the demo admin already existed)")?;

    // A token for the authenticated scenarios, through the real login.
    let login_event = {
        let mut event = fixture(root, "auth/login")?;
        event["body"] = json!(json!({"email": admin.0, "password": admin.1}).to_string());
        event
    };
    let (outcome, _) = platform
        .runtime
        .invoke_function("AuthFunction", login_event.to_string().into_bytes())
        .await;
    let InvokeOutcome::Success(body) = outcome else {
        anyhow::bail!("logging in the bench admin failed: {outcome:?}");
    };
    let response: Value = serde_json::from_slice(&body)?;
    let tokens: Value = serde_json::from_str(response["body"].as_str().unwrap_or("{}"))?;
    let token = tokens["access_token"]
        .as_str()
        .context("no access token")?
        .to_owned();
    let admin_id = tokens["user"]["id"]
        .as_str()
        .context("no user id")?
        .to_owned();
    let mut get_user = fixture(root, "users/get")?;
    get_user["pathParameters"]["id"] = json!(admin_id);
    get_user["rawPath"] = json!(format!("/api/v1/users/{admin_id}"));

    // The seeded rules evaluated against a small purchase request.
    let mut dry_run = fixture(root, "automation/execute")?;
    dry_run["body"] = json!(json!({"dry_run": true, "event": {
        "type": "approval.created", "entity": "approval", "entity_id": admin_id,
        "data": {"amount": 12.5, "workflow_name": "Purchase request"}}})
    .to_string());
    dry_run["headers"]
        .as_object_mut()
        .map(|headers| headers.remove("content-length"));

    let signed =
        |name: &str| -> anyhow::Result<Value> { Ok(with_token(fixture(root, name)?, &token)) };
    let scenarios = vec![
        scenario(
            "HealthFunction",
            "health GET /health",
            fixture(root, "health/health")?,
        ),
        scenario(
            "HealthFunction",
            "health GET /readiness",
            fixture(root, "health/readiness")?,
        ),
        scenario(
            "AuthFunction",
            "auth GET /api/v1/auth/me",
            signed("auth/me")?,
        ),
        scenario(
            "AuthFunction",
            "auth POST /api/v1/auth/login",
            login_event.clone(),
        ),
        scenario(
            "UsersFunction",
            "users GET /api/v1/users/{id}",
            with_token(get_user, &token),
        ),
        scenario(
            "UsersFunction",
            "users GET /api/v1/users",
            signed("users/list")?,
        ),
        scenario(
            "WorkflowsFunction",
            "workflows GET /api/v1/workflows",
            signed("workflows/list")?,
        ),
        scenario(
            "ApprovalsFunction",
            "approvals GET /api/v1/approvals?assigned=me",
            signed("approvals/list")?,
        ),
        scenario(
            "AuditLogsFunction",
            "audit-logs GET /api/v1/auditLogs",
            signed("audit-logs/list")?,
        ),
        scenario(
            "RulesFunction",
            "rules GET /api/v1/rules?enabled=true",
            signed("rules/list")?,
        ),
        scenario(
            "AutomationFunction",
            "automation POST /api/v1/automation/execute (dry run)",
            with_token(dry_run, &token),
        ),
        scenario(
            "AutomationFunction",
            "automation GET /api/v1/automation/runs",
            signed("automation/runs")?,
        ),
    ];
    // The hello-world function every scenario's cold starts are paired
    // with, on a runtime of its own.
    let probe = FunctionDef {
        logical_id: PROBE.into(),
        function_name: "hello-world".into(),
        binary: "lambda-probe".into(),
        environment: Default::default(),
        memory_mb: 128,
        timeout_secs: 3,
        architecture: "x86_64".into(),
        reserved_concurrency: None,
        events: Vec::new(),
    };
    let probe_runtime = Runtime::new(
        std::slice::from_ref(&probe),
        RuntimeOptions {
            binaries_dir: binaries.clone(),
            print_logs: false,
            ..RuntimeOptions::default()
        },
    )?;
    let baselines = Baselines {
        probe: &probe_runtime,
        dynamodb: &platform.dynamodb,
        table: &platform.table_name,
        user_id: admin_id.clone(),
    };

    let mut rows = Vec::new();
    let (mut hello_inits, mut get_items) = (Vec::new(), Vec::new());
    for scenario in &scenarios {
        let def = platform
            .template
            .functions
            .iter()
            .find(|f| f.logical_id == scenario.function);
        // Logins are deliberately slow (argon2): fewer of them keep the run short.
        let login = scenario.label.contains("login");
        let warm = if login {
            LOGIN_INVOCATIONS
        } else {
            options.warm_invocations
        };
        let measured = measure(
            &platform.runtime,
            &baselines,
            scenario,
            login,
            options.cold_starts,
            warm,
        )
        .await?;
        let figures = row(
            &scenario.label,
            def,
            &binaries,
            &measured.inits,
            &measured.reports,
        );
        rows.push((
            figures,
            Paired::of(&measured.hello_inits, &measured.get_items),
        ));
        hello_inits.extend(measured.hello_inits);
        get_items.extend(measured.get_items);
    }

    // The baselines' own rows: every paired measurement, and the
    // hello-world function's warm invocations.
    let mut warm_hello = Vec::new();
    for _ in 0..options.warm_invocations {
        let (outcome, report) = probe_runtime.invoke_function(PROBE, b"{}".to_vec()).await;
        check(PROBE, &outcome)?;
        warm_hello.extend(report);
    }
    let hello = row(
        "baseline: hello-world lambda_runtime",
        Some(&probe),
        &binaries,
        &hello_inits,
        &warm_hello,
    );
    probe_runtime.shutdown().await;
    get_items.sort_by(f64::total_cmp);
    let get_item_p50 = percentile(&get_items, 50.0);
    platform.stop().await;

    let report = render(&rows, &hello, get_item_p50, &get_items, &options);
    if let Some(path) = &options.results_file {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, &report).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report)
}

#[cfg(test)]
#[path = "bench_tests.rs"]
mod tests;
