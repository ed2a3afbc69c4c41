//! `opsflow-local bench`: a fixed workload through the local runtime,
//! reported per function — cold-start init, warm p50/p99, peak memory,
//! binary size and an estimated Lambda cost — beside two baselines measured
//! in the same run on the same machine: a minimal `lambda_runtime` function
//! (`lambda-probe`) and a bare SDK `GetItem` against the same DynamoDB Local.
//!
//! Figures from a laptop-class machine and an emulator are for comparing
//! builds and changes, not a promise about AWS; the cost column applies
//! Lambda's published prices to the billed durations measured here.

use crate::platform::{Platform, PlatformOptions};
use crate::runtime::{InvocationReport, Runtime, RuntimeOptions};
use crate::template::FunctionDef;
use crate::{seed, InvokeOutcome};
use anyhow::Context;
use opsflow_platform::store::Store;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// AWS Lambda prices, us-east-1, first tier, from
/// <https://aws.amazon.com/lambda/pricing/> (USD per GB-second of billed
/// duration, and per million requests).
pub const PRICE_X86_PER_GB_S: f64 = 0.000_016_666_7;
pub const PRICE_ARM_PER_GB_S: f64 = 0.000_013_333_4;
pub const PRICE_PER_MILLION_REQUESTS: f64 = 0.20;
/// Warm invocations of the (deliberately slow) login scenario.
const LOGIN_INVOCATIONS: usize = 30;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub platform: PlatformOptions,
    pub cold_starts: usize,
    pub warm_invocations: usize,
    pub results_file: Option<PathBuf>,
}

/// Figures for one row of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub memory_mb: u32,
    pub init_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_billed_ms: f64,
    pub max_memory_mb: u64,
    pub binary_bytes: Option<u64>,
}

impl Row {
    /// USD per million invocations at the measured mean billed duration.
    pub fn cost_per_million(&self, price_per_gb_s: f64) -> f64 {
        let gb_seconds = self.mean_billed_ms / 1000.0 * f64::from(self.memory_mb) / 1024.0;
        1_000_000.0 * gb_seconds * price_per_gb_s + PRICE_PER_MILLION_REQUESTS
    }
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, 50.0)
}

/// One scenario: a function and the event it is driven with.
struct Scenario {
    function: String,
    label: String,
    event: Value,
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

async fn measure(
    runtime: &Runtime,
    function: &str,
    event: &Value,
    distinct_sources: bool,
    cold_starts: usize,
    warm: usize,
) -> anyhow::Result<(Vec<f64>, Vec<InvocationReport>)> {
    let mut inits = Vec::new();
    for n in 0..cold_starts {
        runtime.shutdown().await;
        let payload = nth_payload(event, n, distinct_sources);
        let (outcome, report) = runtime.invoke_function(function, payload).await;
        check(function, &outcome)?;
        if let Some(init) = report.and_then(|r| r.init_duration_ms) {
            inits.push(init);
        }
    }
    let mut reports = Vec::new();
    for n in 0..warm {
        let payload = nth_payload(event, cold_starts + n, distinct_sources);
        let (outcome, report) = runtime.invoke_function(function, payload).await;
        check(function, &outcome)?;
        reports.extend(report);
    }
    Ok((inits, reports))
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

fn row(
    name: &str,
    def: Option<&FunctionDef>,
    binaries: &Path,
    inits: &[f64],
    reports: &[InvocationReport],
) -> Row {
    let mut durations: Vec<f64> = reports.iter().map(|r| r.duration_ms).collect();
    durations.sort_by(f64::total_cmp);
    let billed: f64 =
        reports.iter().map(|r| r.billed_ms as f64).sum::<f64>() / reports.len().max(1) as f64;
    let binary = def.map_or("lambda-probe", |d| d.binary.as_str());
    Row {
        name: name.to_owned(),
        memory_mb: def.map_or(128, |d| d.memory_mb),
        init_ms: median(inits),
        p50_ms: percentile(&durations, 50.0),
        p99_ms: percentile(&durations, 99.0),
        mean_billed_ms: billed,
        max_memory_mb: reports
            .iter()
            .map(|r| r.max_memory_used_mb)
            .max()
            .unwrap_or(0),
        binary_bytes: std::fs::metadata(binaries.join(binary))
            .ok()
            .map(|m| m.len()),
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
    get_user["rawPath"] = json!(format!("/users/{admin_id}"));

    // The seeded rules evaluated against a small purchase request.
    let mut dry_run = fixture(root, "automation/execute")?;
    dry_run["body"] = json!(json!({"dry_run": true, "event": {
        "type": "approval.created", "entity": "approval", "entity_id": admin_id,
        "data": {"amount": 12.5, "workflow_name": "Purchase request"}}})
    .to_string());
    dry_run["headers"]
        .as_object_mut()
        .map(|headers| headers.remove("content-length"));

    let scenarios = vec![
        Scenario {
            function: "HealthFunction".into(),
            label: "health GET /health".into(),
            event: fixture(root, "health/health")?,
        },
        Scenario {
            function: "HealthFunction".into(),
            label: "health GET /readiness".into(),
            event: fixture(root, "health/readiness")?,
        },
        Scenario {
            function: "AuthFunction".into(),
            label: "auth GET /auth/me".into(),
            event: with_token(fixture(root, "auth/me")?, &token),
        },
        Scenario {
            function: "AuthFunction".into(),
            label: "auth POST /auth/login".into(),
            event: login_event.clone(),
        },
        Scenario {
            function: "UsersFunction".into(),
            label: "users GET /users/{id}".into(),
            event: with_token(get_user, &token),
        },
        Scenario {
            function: "UsersFunction".into(),
            label: "users GET /users".into(),
            event: with_token(fixture(root, "users/list")?, &token),
        },
        Scenario {
            function: "WorkflowsFunction".into(),
            label: "workflows GET /workflows".into(),
            event: with_token(fixture(root, "workflows/list")?, &token),
        },
        Scenario {
            function: "ApprovalsFunction".into(),
            label: "approvals GET /approvals?assigned=me".into(),
            event: with_token(fixture(root, "approvals/list")?, &token),
        },
        Scenario {
            function: "AuditLogsFunction".into(),
            label: "audit-logs GET /auditLogs".into(),
            event: with_token(fixture(root, "audit-logs/list")?, &token),
        },
        Scenario {
            function: "RulesFunction".into(),
            label: "rules GET /api/v1/rules?enabled=true".into(),
            event: with_token(fixture(root, "rules/list")?, &token),
        },
        Scenario {
            function: "AutomationFunction".into(),
            label: "automation POST /api/v1/automation/execute (dry run)".into(),
            event: with_token(dry_run, &token),
        },
        Scenario {
            function: "AutomationFunction".into(),
            label: "automation GET /api/v1/automation/runs".into(),
            event: with_token(fixture(root, "automation/runs")?, &token),
        },
    ];
    let mut rows = Vec::new();
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
        let (inits, reports) = measure(
            &platform.runtime,
            &scenario.function,
            &scenario.event,
            login,
            options.cold_starts,
            warm,
        )
        .await?;
        rows.push(row(&scenario.label, def, &binaries, &inits, &reports));
    }

    // Baseline 1: a minimal lambda_runtime function on the same runtime.
    let probe = FunctionDef {
        logical_id: "HelloWorld".into(),
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
    let (inits, reports) = measure(
        &probe_runtime,
        "HelloWorld",
        &json!({}),
        false,
        options.cold_starts,
        options.warm_invocations,
    )
    .await?;
    let hello = row(
        "baseline: hello-world lambda_runtime",
        Some(&probe),
        &binaries,
        &inits,
        &reports,
    );
    probe_runtime.shutdown().await;

    // Baseline 2: a bare SDK GetItem against the same DynamoDB Local.
    let mut get_item = Vec::new();
    for _ in 0..options.warm_invocations {
        let started = Instant::now();
        platform
            .dynamodb
            .get_item()
            .table_name(&platform.table_name)
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("USER#{admin_id}")),
            )
            .key(
                "sk",
                aws_sdk_dynamodb::types::AttributeValue::S("USER".into()),
            )
            .consistent_read(true)
            .send()
            .await?;
        get_item.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    get_item.sort_by(f64::total_cmp);
    let get_item_p50 = percentile(&get_item, 50.0);
    platform.stop().await;

    let report = render(&rows, &hello, get_item_p50, &get_item, &options);
    if let Some(path) = &options.results_file {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, &report).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or("unknown memory".into(), |kb| {
            format!("{} GiB", kb / 1024 / 1024)
        });
    format!(
        "{cpu}, {cores} cores, {memory}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn render(
    rows: &[Row],
    hello: &Row,
    get_item_p50: f64,
    get_item: &[f64],
    options: &BenchOptions,
) -> String {
    let mut out = String::new();
    let now = time::OffsetDateTime::now_utc();
    let _ = writeln!(out, "# Opsflow local benchmark\n");
    let _ = writeln!(
        out,
        "- date: {}-{:02}-{:02} {:02}:{:02} UTC",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    );
    let _ = writeln!(out, "- machine: {}", machine());
    let _ = writeln!(
        out,
        "- workload: {} cold starts and {} warm invocations per scenario ({LOGIN_INVOCATIONS} for login), through opsflow-local against DynamoDB Local; binaries from `{}`",
        options.cold_starts,
        options.warm_invocations,
        options.platform.binaries_dir.display()
    );
    let _ = writeln!(
        out,
        "- cost: mean billed duration × memory × Lambda's price (us-east-1: x86_64 ${PRICE_X86_PER_GB_S}/GB-s, arm64 ${PRICE_ARM_PER_GB_S}/GB-s, plus ${PRICE_PER_MILLION_REQUESTS} per million requests; <https://aws.amazon.com/lambda/pricing/>). Durations measured here on x86_64 are applied to both prices.\n"
    );
    let _ = writeln!(out, "| scenario | memory MB | cold init ms | warm p50 ms | warm p99 ms | max memory MB | binary MB | $/1M x86_64 | $/1M arm64 |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows.iter().chain(std::iter::once(hello)) {
        let size = r
            .binary_bytes
            .map_or("?".into(), |b| format!("{:.1}", b as f64 / 1_048_576.0));
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} | {:.2} | {:.2} | {} | {} | {:.2} | {:.2} |",
            r.name,
            r.memory_mb,
            r.init_ms,
            r.p50_ms,
            r.p99_ms,
            r.max_memory_mb,
            size,
            r.cost_per_million(PRICE_X86_PER_GB_S),
            r.cost_per_million(PRICE_ARM_PER_GB_S)
        );
    }
    let _ = writeln!(
        out,
        "| baseline: bare SDK GetItem (in process) | | | {:.2} | {:.2} | | | | |\n",
        get_item_p50,
        percentile(get_item, 99.0)
    );
    let _ = writeln!(out, "## Ratios to the baselines\n");
    let _ = writeln!(
        out,
        "| scenario | cold init ÷ hello-world init | warm p50 ÷ SDK GetItem p50 |"
    );
    let _ = writeln!(out, "|---|---:|---:|");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {:.2}× | {:.2}× |",
            r.name,
            r.init_ms / hello.init_ms.max(f64::EPSILON),
            r.p50_ms / get_item_p50.max(f64::EPSILON)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn cost_is_billed_gb_seconds_plus_requests() {
        let row = Row {
            name: "x".into(),
            memory_mb: 1024,
            init_ms: 0.0,
            p50_ms: 0.0,
            p99_ms: 0.0,
            mean_billed_ms: 1000.0,
            max_memory_mb: 0,
            binary_bytes: None,
        };
        // 1M × 1 GB-s × price + request charge.
        let expected = 1_000_000.0 * PRICE_X86_PER_GB_S + PRICE_PER_MILLION_REQUESTS;
        assert!((row.cost_per_million(PRICE_X86_PER_GB_S) - expected).abs() < 1e-9);
    }
}
