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
mod scenarios;

pub use report::{
    percentile, Paired, Row, PRICE_ARM_PER_GB_S, PRICE_PER_MILLION_REQUESTS, PRICE_X86_PER_GB_S,
};
use report::{render, row};
use scenarios::{Baseline, Cast, Scenario};

use crate::platform::{Platform, PlatformOptions};
use crate::runtime::{InvocationReport, Runtime, RuntimeOptions};
use crate::template::FunctionDef;
use crate::{seed, InvokeOutcome};
use anyhow::Context;
use opsflow_platform::store::Store;
use serde_json::{json, Value};
use std::path::Path;
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
}

pub(crate) fn fixture(root: &Path, name: &str) -> anyhow::Result<Value> {
    let path = root.join("events").join(format!("{name}.json"));
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

pub(crate) fn with_token(mut event: Value, token: &str) -> Value {
    event["headers"]["authorization"] = json!(format!("Bearer {token}"));
    event
}

/// What a scenario is compared with, measured between its own
/// invocations: a hello-world function's cold start after each of its cold
/// starts, and its [`Baseline`] (a bare SDK `GetItem`, or a bare
/// `TransactWriteItems` for a write) after each of its warm invocations. A
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

    /// One measurement of `baseline`, in milliseconds.
    async fn measure(&self, baseline: Baseline) -> anyhow::Result<f64> {
        match baseline {
            Baseline::GetItem => self.get_item().await,
            Baseline::Query => self.query().await,
            Baseline::TransactWrite(items) => self.transact_write(items).await,
        }
    }

    /// `count` new items (of an entity's or an event's size) put in one
    /// `TransactWriteItems`, each on the condition that its key is free, as
    /// a create's are.
    async fn transact_write(&self, count: usize) -> anyhow::Result<f64> {
        use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
        let s = |v: String| AttributeValue::S(v);
        let id = uuid::Uuid::new_v4();
        let mut items = Vec::new();
        // Each in a partition of its own, as an entity and its links are.
        for i in 0..count {
            let put = Put::builder()
                .table_name(self.table)
                .item("pk", s(format!("BENCH#{id}#{i}")))
                .item("sk", s("ITEM".into()))
                .item("body", s("x".repeat(400)))
                .condition_expression("attribute_not_exists(pk)")
                .build()?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        let started = Instant::now();
        self.dynamodb
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await?;
        Ok(started.elapsed().as_secs_f64() * 1000.0)
    }

    /// A page of ten users from the `USERS` listing, in milliseconds.
    async fn query(&self) -> anyhow::Result<f64> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let started = Instant::now();
        self.dynamodb
            .query()
            .table_name(self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :all")
            .expression_attribute_values(":all", AttributeValue::S("USERS".into()))
            .scan_index_forward(false)
            .limit(10)
            .send()
            .await?;
        Ok(started.elapsed().as_secs_f64() * 1000.0)
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

/// Invokes `function` with `event` and returns its answer's JSON body,
/// failing unless it answered 2xx.
pub(crate) async fn call(
    runtime: &Runtime,
    function: &str,
    event: &Value,
) -> anyhow::Result<Value> {
    let (outcome, _) = runtime
        .invoke_function(function, event.to_string().into_bytes())
        .await;
    check(function, &outcome)?;
    let InvokeOutcome::Success(body) = outcome else {
        anyhow::bail!("{function} failed: {outcome:?}");
    };
    let response: Value = serde_json::from_slice(&body)?;
    Ok(serde_json::from_str(
        response["body"].as_str().unwrap_or("{}"),
    )?)
}

/// Logs in through the auth function: the access token and the user's id.
async fn log_in(runtime: &Runtime, event: Value) -> anyhow::Result<(String, String)> {
    let tokens = call(runtime, "AuthFunction", &event).await?;
    let token = tokens["access_token"].as_str().context("no access token")?;
    let id = tokens["user"]["id"].as_str().context("no user id")?;
    Ok((token.to_owned(), id.to_owned()))
}

/// The id of the seeded "Purchase request" workflow.
async fn demo_workflow(runtime: &Runtime, root: &Path, token: &str) -> anyhow::Result<String> {
    let list = with_token(fixture(root, "workflows/list")?, token);
    let page = call(runtime, "WorkflowsFunction", &list).await?;
    seed::demo_workflow_id(&page)
}

/// A scenario's measurements and its baselines', taken in turn.
#[derive(Default)]
struct Measured {
    inits: Vec<f64>,
    reports: Vec<InvocationReport>,
    hello_inits: Vec<f64>,
    baseline: Vec<f64>,
}

async fn measure(
    runtime: &Runtime,
    baselines: &Baselines<'_>,
    scenario: &Scenario,
    cold_starts: usize,
    warm: usize,
) -> anyhow::Result<Measured> {
    let function = scenario.function;
    let payload = |n: usize| (scenario.event)(n).to_string().into_bytes();
    let mut measured = Measured::default();
    for n in 0..cold_starts {
        runtime.shutdown().await;
        let (outcome, report) = runtime.invoke_function(function, payload(n)).await;
        check(function, &outcome)?;
        measured
            .inits
            .extend(report.and_then(|r| r.init_duration_ms));
        measured.hello_inits.extend(baselines.hello_init().await?);
    }
    for n in 0..warm {
        let (outcome, report) = runtime
            .invoke_function(function, payload(cold_starts + n))
            .await;
        check(function, &outcome)?;
        measured.reports.extend(report);
        measured
            .baseline
            .push(baselines.measure(scenario.baseline).await?);
    }
    Ok(measured)
}

pub(crate) fn check(function: &str, outcome: &InvokeOutcome) -> anyhow::Result<()> {
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
    let password_of = |role| {
        logins
            .iter()
            .find(|l| l.role == role)
            .and_then(|l| l.password.clone().map(|p| (l.email.clone(), p)))
            .context("the bench needs a fresh environment (the demo accounts already existed)")
    };
    let admin = password_of(opsflow_platform::domain::Role::Admin)?;
    let approver = password_of(opsflow_platform::domain::Role::Approver)?;

    // Tokens for the authenticated scenarios, through the real login.
    let login_event = |(email, password): &(String, String)| -> anyhow::Result<Value> {
        let body = json!({"email": email, "password": password});
        Ok(scenarios::with_body(fixture(root, "auth/login")?, &body))
    };
    let (token, admin_id) = log_in(&platform.runtime, login_event(&admin)?).await?;
    let (approver_token, _) = log_in(&platform.runtime, login_event(&approver)?).await?;
    let workflow_id = demo_workflow(&platform.runtime, root, &token).await?;
    // Every cold start and warm invocation of the decisions' scenario
    // decides a request of its own.
    let decisions = options.cold_starts + options.warm_invocations;
    let pending =
        scenarios::file_requests(&platform.runtime, root, &token, &workflow_id, decisions).await?;
    let scenarios = scenarios::all(
        root,
        Cast {
            admin_token: token,
            admin_id: admin_id.clone(),
            approver_token,
            login: login_event(&admin)?,
            workflow_id,
            pending,
        },
    )?;
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
    let mut hello_inits = Vec::new();
    let mut pooled: Vec<(Baseline, Vec<f64>)> = Vec::new();
    for scenario in &scenarios {
        let def = platform
            .template
            .functions
            .iter()
            .find(|f| f.logical_id == scenario.function);
        // Logins and registrations are deliberately slow (argon2): fewer
        // of them keep the run short.
        let warm = if scenario.slow {
            LOGIN_INVOCATIONS.min(options.warm_invocations)
        } else {
            options.warm_invocations
        };
        let measured = measure(
            &platform.runtime,
            &baselines,
            scenario,
            options.cold_starts,
            warm,
        )
        .await?;
        let figures = row(
            scenario.label,
            def,
            &binaries,
            &measured.inits,
            &measured.reports,
        );
        let paired = Paired::of(scenario.baseline, &measured.hello_inits, &measured.baseline);
        rows.push((figures, paired));
        hello_inits.extend(measured.hello_inits);
        match pooled.iter_mut().find(|(b, _)| *b == scenario.baseline) {
            Some((_, all)) => all.extend(measured.baseline),
            None => pooled.push((scenario.baseline, measured.baseline)),
        }
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
    platform.stop().await;

    Ok(render(&rows, &hello, &pooled, &options))
}

/// The section the load adds to the report: the platform served as
/// `make dev` serves it (gateway, function instances, stream poller and
/// queue consumers, the build the benchmark measures), many clients filing
/// requests at once, then the pipeline's lag one request at a time.
pub fn under_load(load: &crate::load::LoadReport) -> String {
    format!(
        "\n## Under load\n\n{} clients file {} `POST /api/v1/approvals` at once through the \
         served platform; then requests filed one at a time are timed from their `201` to their \
         audit record being readable (outbox → stream → router → queue → audit writer). It \
         runs before the scenarios above, as DynamoDB Local slows down with use: on emulators \
         used for a while, expect lower figures \
         ([docs/performance.md](../docs/performance.md#under-load)).\n\n{}",
        load.clients,
        load.latencies.len() + load.failures.len(),
        load.render()
    )
}

#[cfg(test)]
#[path = "bench_tests.rs"]
mod tests;
