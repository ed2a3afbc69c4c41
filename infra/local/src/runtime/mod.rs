//! Runs functions as Lambda does, without Docker: each function's real
//! binary is a child process whose `AWS_LAMBDA_RUNTIME_API` points at an
//! emulated Runtime API ([`api`]) of its own.
//!
//! - Instances stay warm between invocations; a function has at most
//!   `max_instances` running at once, or its reserved concurrency when
//!   lower (further calls wait for one).
//! - The first invocation of an instance is a cold start: its init duration
//!   is from spawn to the runtime's first `next`.
//! - A timeout kills the instance (`Task timed out after … seconds`); a
//!   crash (exit while busy) or an init failure is reported as
//!   `Runtime.ExitError`; either way the next invocation starts a fresh
//!   instance. A function error keeps the instance, as on Lambda.
//! - Every invocation prints `START`, `END` and `REPORT` lines on stderr and
//!   is broadcast as an [`InvocationReport`] (for benchmarks).

pub mod api;
mod instance;
pub mod report;

use crate::template::FunctionDef;
use crate::{Invoke, InvokeOutcome};
use api::{Answer, Pending};
use instance::Instance;
pub use report::InvocationReport;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{broadcast, oneshot, Mutex, Semaphore};

/// A function's instance limit: the runtime's, or its reserved
/// concurrency when that is lower.
fn instance_limit(def: &FunctionDef, options: &RuntimeOptions) -> usize {
    let limit = match def.reserved_concurrency {
        Some(reserved) => options.max_instances.min(reserved as usize),
        None => options.max_instances,
    };
    limit.max(1)
}

/// How functions are run locally.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Where cargo put the function binaries (`target/debug`).
    pub binaries_dir: PathBuf,
    /// Concurrent instances per function.
    pub max_instances: usize,
    pub region: String,
    pub account_id: String,
    /// Variables every function gets on top of its template environment
    /// (credentials and endpoints for the emulators).
    pub base_environment: BTreeMap<String, String>,
    /// Lambda gives a function's init 10 s.
    pub init_timeout: Duration,
    /// Print `START`/`END`/`REPORT` lines and the functions' own output.
    pub print_logs: bool,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self {
            binaries_dir: PathBuf::from("target/debug"),
            max_instances: 4,
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            base_environment: BTreeMap::new(),
            init_timeout: Duration::from_secs(10),
            print_logs: true,
        }
    }
}

pub struct Runtime {
    pools: HashMap<String, Arc<FunctionPool>>,
    reports: broadcast::Sender<InvocationReport>,
}

struct FunctionPool {
    def: FunctionDef,
    options: Arc<RuntimeOptions>,
    binary: PathBuf,
    idle: Mutex<Vec<Instance>>,
    permits: Semaphore,
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn trace_id() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    let seconds = epoch_ms() / 1000;
    format!(
        "Root=1-{seconds:08x}-{};Parent={};Sampled=0",
        &random[..24],
        &random[16..32]
    )
}

impl Runtime {
    /// Prepares the functions; nothing is started until it is invoked.
    /// Fails if a function's binary has not been built.
    pub fn new(functions: &[FunctionDef], options: RuntimeOptions) -> anyhow::Result<Arc<Self>> {
        let options = Arc::new(options);
        let mut pools = HashMap::new();
        for def in functions {
            let binary = options.binaries_dir.join(&def.binary);
            if !binary.is_file() {
                anyhow::bail!(
                    "{}: binary {} not found; build it first (cargo build --workspace --bins)",
                    def.logical_id,
                    binary.display()
                );
            }
            let pool = Arc::new(FunctionPool {
                def: def.clone(),
                options: Arc::clone(&options),
                binary,
                idle: Mutex::new(Vec::new()),
                permits: Semaphore::new(instance_limit(def, &options)),
            });
            pools.insert(def.logical_id.clone(), Arc::clone(&pool));
            if def.function_name != def.logical_id {
                pools.insert(def.function_name.clone(), pool);
            }
        }
        let (reports, _) = broadcast::channel(1024);
        Ok(Arc::new(Self { pools, reports }))
    }

    /// Every invocation's figures, as they happen.
    pub fn reports(&self) -> broadcast::Receiver<InvocationReport> {
        self.reports.subscribe()
    }

    /// Invokes a function by logical id (or function name).
    pub async fn invoke_function(
        &self,
        function: &str,
        payload: Vec<u8>,
    ) -> (InvokeOutcome, Option<InvocationReport>) {
        let Some(pool) = self.pools.get(function) else {
            return (InvokeOutcome::NoSuchFunction, None);
        };
        let (outcome, report) = pool.invoke(payload).await;
        if let Some(report) = &report {
            let _ = self.reports.send(report.clone());
        }
        (outcome, report)
    }

    /// Stops every idle instance.
    pub async fn shutdown(&self) {
        for pool in self.pools.values() {
            pool.idle.lock().await.clear();
        }
    }
}

impl Invoke for Runtime {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = InvokeOutcome> + Send + 'a>> {
        Box::pin(async move { self.invoke_function(function, payload).await.0 })
    }
}

impl FunctionPool {
    async fn invoke(&self, payload: Vec<u8>) -> (InvokeOutcome, Option<InvocationReport>) {
        let Ok(_permit) = self.permits.acquire().await else {
            return (InvokeOutcome::NoSuchFunction, None);
        };
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut instance = match self.checkout().await {
            Ok(instance) => instance,
            Err(error) => {
                self.log(&format!("could not start: {error:#}"));
                return (exit_error(&request_id, &error.to_string()), None);
            }
        };
        let timeout = Duration::from_secs(u64::from(self.def.timeout_secs.max(1)));

        // Init (cold start only).
        let mut init_duration = None;
        if !instance.initialised {
            let api = Arc::clone(&instance.api);
            let ready = tokio::select! {
                _ = api.ready.notified() => Ok(()),
                status = instance.wait_exit() => Err(format!("Runtime exited with error: {status}")),
                _ = tokio::time::sleep(self.options.init_timeout) => Err("init timed out".to_owned()),
            };
            let init_error = instance.api.init_error.lock().await.take();
            let failure = match (ready, init_error) {
                (
                    _,
                    Some(Answer::Error {
                        error_type,
                        error_message,
                    }),
                ) => Some(InvokeOutcome::FunctionError {
                    error_type,
                    error_message,
                }),
                (Err(reason), _) => Some(exit_error(&request_id, &reason)),
                _ => None,
            };
            let elapsed = instance.spawned_at.elapsed().as_secs_f64() * 1000.0;
            if let Some(failure) = failure {
                self.log(&format!(
                    "INIT_REPORT Init Duration: {elapsed:.2} ms\tPhase: init\tStatus: error"
                ));
                return (failure, None);
            }
            instance.initialised = true;
            init_duration = Some(elapsed);
        }

        self.log(&format!("START RequestId: {request_id} Version: $LATEST"));
        let (started_tx, started_rx) = oneshot::channel();
        let (respond_tx, respond_rx) = oneshot::channel();
        let pending = Pending {
            request_id: request_id.clone(),
            payload,
            deadline_ms: epoch_ms() + timeout.as_millis(),
            function_arn: format!(
                "arn:aws:lambda:{}:{}:function:{}",
                self.options.region, self.options.account_id, self.def.function_name
            ),
            trace_id: trace_id(),
            started: started_tx,
            respond: respond_tx,
        };
        let handed = Instant::now();
        if instance.queue.send(pending).await.is_err() {
            return (exit_error(&request_id, "the runtime is gone"), None);
        }
        let started = tokio::select! {
            started = started_rx => started.unwrap_or(handed),
            status = instance.wait_exit() => {
                return self.finish(instance, &request_id, init_duration, 0.0,
                    exit_error(&request_id, &format!("Runtime exited with error: {status}")), false).await;
            }
        };
        let deadline = tokio::time::Instant::from_std(started + timeout);
        enum End {
            Answered(Answer),
            TimedOut,
            Exited(String),
        }
        let end = tokio::select! {
            answer = respond_rx => match answer {
                Ok(answer) => End::Answered(answer),
                Err(_) => End::Exited("the runtime dropped the invocation".into()),
            },
            _ = tokio::time::sleep_until(deadline) => End::TimedOut,
            status = instance.wait_exit() => End::Exited(status),
        };
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        match end {
            End::Answered(Answer::Response(body)) => {
                self.finish(
                    instance,
                    &request_id,
                    init_duration,
                    duration_ms,
                    InvokeOutcome::Success(body),
                    true,
                )
                .await
            }
            End::Answered(Answer::Error {
                error_type,
                error_message,
            }) => {
                self.finish(
                    instance,
                    &request_id,
                    init_duration,
                    duration_ms,
                    InvokeOutcome::FunctionError {
                        error_type,
                        error_message,
                    },
                    true,
                )
                .await
            }
            End::TimedOut => {
                self.log(&format!(
                    "{} Task timed out after {:.2} seconds",
                    time::OffsetDateTime::now_utc(),
                    timeout.as_secs_f64()
                ));
                self.finish(
                    instance,
                    &request_id,
                    init_duration,
                    duration_ms,
                    InvokeOutcome::Timeout,
                    false,
                )
                .await
            }
            End::Exited(status) => {
                self.finish(
                    instance,
                    &request_id,
                    init_duration,
                    duration_ms,
                    exit_error(&request_id, &format!("Runtime exited with error: {status}")),
                    false,
                )
                .await
            }
        }
    }

    /// Prints END and REPORT, and returns a healthy instance to the pool
    /// (`keep`), or lets it go (which kills it).
    async fn finish(
        &self,
        instance: Instance,
        request_id: &str,
        init_duration_ms: Option<f64>,
        duration_ms: f64,
        outcome: InvokeOutcome,
        keep: bool,
    ) -> (InvokeOutcome, Option<InvocationReport>) {
        let error = match &outcome {
            InvokeOutcome::Success(_) => None,
            InvokeOutcome::FunctionError { error_type, .. } => Some(error_type.clone()),
            InvokeOutcome::Timeout => Some("Sandbox.Timedout".to_owned()),
            InvokeOutcome::NoSuchFunction => Some("ResourceNotFound".to_owned()),
        };
        let report = InvocationReport {
            function: self.def.logical_id.clone(),
            request_id: request_id.to_owned(),
            duration_ms,
            billed_ms: InvocationReport::billed(duration_ms),
            memory_size_mb: self.def.memory_mb,
            max_memory_used_mb: report::peak_memory_mb(instance.pid),
            init_duration_ms,
            error,
        };
        self.log(&format!("END RequestId: {request_id}"));
        self.log(&report.to_string());
        if keep && !instance.has_exited() {
            self.idle.lock().await.push(instance);
        }
        (outcome, Some(report))
    }
}

fn exit_error(request_id: &str, reason: &str) -> InvokeOutcome {
    InvokeOutcome::FunctionError {
        error_type: "Runtime.ExitError".to_owned(),
        error_message: format!("RequestId: {request_id} Error: {reason}"),
    }
}
