//! `opsflow-local load`: many clients filing requests at once through the
//! HTTP API of a platform served as `make dev` serves it (the gateway, the
//! runtime's function instances, the stream poller and the queues' consumers
//! all running), then the event pipeline's lag, one request at a time.
//!
//! Reported: the throughput of `POST /api/v1/approvals` under `clients`
//! concurrent clients and its latency (p50/p99, as each client saw it), and
//! the lag from a request's `201` to its audit record being readable
//! (p50/p99). Each client first files one request unmeasured, so that no
//! function's cold start is in the figures.
//!
//! Invariant: every figure is measured in this run, through HTTP, against a
//! platform of its own (a fresh environment's tables and queues).

use crate::bench::percentile;
use crate::platform::{Platform, PlatformOptions};
use crate::seed;
use anyhow::Context;
use aws_sdk_dynamodb::types::AttributeValue;
use opsflow_platform::domain::Role;
use opsflow_platform::store::Store;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an audit record may take to appear before it counts as lost.
const LAG_LIMIT: Duration = Duration::from_secs(30);
/// How often the audit table is read while waiting for a record.
const LAG_POLL: Duration = Duration::from_millis(5);

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub platform: PlatformOptions,
    /// Clients filing requests at once.
    pub clients: usize,
    /// Requests filed in all, measured.
    pub requests: usize,
    /// Requests filed one at a time to measure the pipeline's lag.
    pub lag_samples: usize,
}

/// What a run measured.
#[derive(Debug)]
pub struct LoadReport {
    pub clients: usize,
    /// Each answered request's latency, in milliseconds.
    pub latencies: Vec<f64>,
    /// Requests answered other than `201`, or not at all.
    pub failures: Vec<String>,
    /// The measured phase's length, in seconds.
    pub seconds: f64,
    /// Each lag sample, in milliseconds.
    pub lags: Vec<f64>,
    /// Lag samples whose audit record did not appear within [`LAG_LIMIT`].
    pub lost: usize,
}

impl LoadReport {
    /// Requests answered `201` per second.
    pub fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds.max(f64::EPSILON)
    }

    /// The report as Markdown: one row for the load, one for the lag.
    pub fn render(&self) -> String {
        let sorted = |figures: &[f64]| {
            let mut figures = figures.to_vec();
            figures.sort_by(f64::total_cmp);
            figures
        };
        let (latencies, lags) = (sorted(&self.latencies), sorted(&self.lags));
        format!(
            "| scenario | requests | clients | throughput | p50 | p99 | failed |\n\
             |---|---:|---:|---:|---:|---:|---:|\n\
             | `POST /api/v1/approvals` through `serve` | {} | {} | {:.1} req/s | {:.1} ms | {:.1} ms | {} |\n\
             | pipeline lag: `201` → audit record readable | {} | 1 | | {:.1} ms | {:.1} ms | {} lost |\n",
            self.latencies.len() + self.failures.len(),
            self.clients,
            self.throughput(),
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0),
            self.failures.len(),
            self.lags.len() + self.lost,
            percentile(&lags, 50.0),
            percentile(&lags, 99.0),
            self.lost,
        )
    }
}

/// Serves a platform of its own, loads it and stops it.
pub async fn run(options: LoadOptions) -> anyhow::Result<LoadReport> {
    let mut platform_options = options.platform.clone();
    platform_options.print_logs = false;
    platform_options.event_sources = true;
    platform_options.docs = None;
    let platform = Platform::start(platform_options).await?;
    let report = drive(&platform, &options).await;
    let (dynamodb, tables) = (
        platform.dynamodb.clone(),
        platform.resources.table_names.clone(),
    );
    platform.stop().await;
    // The run's tables go: DynamoDB Local slows down as tables pile up.
    for table in tables.values() {
        let _ = opsflow_platform::store::schema::delete_table(&dynamodb, table).await;
    }
    report
}

/// A client of the served API, signed in as the demo admin.
struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    workflow_id: String,
}

impl Client {
    /// Files one request; its id once answered `201`.
    async fn file(&self, n: usize) -> anyhow::Result<String> {
        let body = json!({
            "workflow_id": self.workflow_id,
            "title": format!("Load request {n}"),
            "payload": {"n": n},
            "amount": 120.0,
        });
        let answer = self
            .http
            .post(format!("{}/approvals", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = answer.status();
        let text = answer.text().await?;
        anyhow::ensure!(status.as_u16() == 201, "{status}: {text}");
        let created: Value = serde_json::from_str(&text)?;
        created["id"]
            .as_str()
            .map(str::to_owned)
            .context("a created request without an id")
    }
}

async fn drive(platform: &Platform, options: &LoadOptions) -> anyhow::Result<LoadReport> {
    let store = Store::new(platform.dynamodb.clone(), platform.table_name.clone());
    let logins = seed::seed(&store).await?;
    let admin = logins
        .iter()
        .find(|login| login.role == Role::Admin)
        .and_then(|login| Some((login.email.clone(), login.password.clone()?)))
        .context("the load needs a fresh environment (the demo accounts already existed)")?;
    let client = Arc::new(sign_in(platform, admin).await?);

    // One unmeasured request per client: every instance the load will use
    // has started.
    let warm: Vec<_> = (0..options.clients)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move { client.file(n).await })
        })
        .collect();
    for task in warm {
        task.await??;
    }

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..options.clients)
        .map(|_| {
            let (client, next, requests) = (client.clone(), next.clone(), options.requests);
            tokio::spawn(async move {
                let (mut latencies, mut failures, mut last) = (Vec::new(), Vec::new(), None);
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= requests {
                        break (latencies, failures, last);
                    }
                    let sent = Instant::now();
                    match client.file(n).await {
                        Ok(id) => {
                            latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                            last = Some((Instant::now(), id));
                        }
                        Err(error) => failures.push(format!("{error:#}")),
                    }
                }
            })
        })
        .collect();
    let (mut latencies, mut failures, mut last) = (Vec::new(), Vec::new(), None);
    for worker in workers {
        let (answered, failed, its_last) = worker.await?;
        latencies.extend(answered);
        failures.extend(failed);
        last = last.max(its_last);
    }
    let seconds = started.elapsed().as_secs_f64();

    let audit_table = platform
        .resources
        .table_names
        .get("AuditTable")
        .context("the template has no AuditTable")?;
    // The lag is measured on a quiet pipeline: the load's last event first.
    if let Some((_, id)) = last {
        audited(&platform.dynamodb, audit_table, &id).await?;
    }
    let (mut lags, mut lost) = (Vec::new(), 0);
    for n in 0..options.lag_samples {
        let id = client.file(options.requests + n).await?;
        let answered = Instant::now();
        match audited(&platform.dynamodb, audit_table, &id).await? {
            true => lags.push(answered.elapsed().as_secs_f64() * 1000.0),
            false => lost += 1,
        }
    }
    Ok(LoadReport {
        clients: options.clients,
        latencies,
        failures,
        seconds,
        lags,
        lost,
    })
}

/// Logs in as `admin` through the API and finds the demo workflow.
async fn sign_in(
    platform: &Platform,
    (email, password): (String, String),
) -> anyhow::Result<Client> {
    let http = reqwest::Client::new();
    let base = format!("http://{}/api/v1", platform.address);
    let login = http
        .post(format!("{base}/auth/login"))
        .json(&json!({"email": email, "password": password}));
    let tokens = answer(login).await?;
    let token = tokens["access_token"]
        .as_str()
        .context("a login without an access token")?
        .to_owned();
    let page = answer(http.get(format!("{base}/workflows")).bearer_auth(&token)).await?;
    let workflow_id = seed::demo_workflow_id(&page)?;
    Ok(Client {
        http,
        base,
        token,
        workflow_id,
    })
}

/// The JSON body of a 2xx answer to `request`.
async fn answer(request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    Ok(request.send().await?.error_for_status()?.json().await?)
}

/// Waits until the audit log holds a record about approval `id`: `false`
/// when none appeared within [`LAG_LIMIT`].
async fn audited(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    id: &str,
) -> anyhow::Result<bool> {
    let pk = opsflow_audit::store::audit::entity_pk(opsflow_approvals::events::APPROVAL, id);
    let deadline = Instant::now() + LAG_LIMIT;
    while Instant::now() < deadline {
        let found = dynamodb
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
            .consistent_read(true)
            .limit(1)
            .send()
            .await?;
        if found.count() > 0 {
            return Ok(true);
        }
        tokio::time::sleep(LAG_POLL).await;
    }
    Ok(false)
}
