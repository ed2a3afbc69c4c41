//! The Lambda Runtime API contract, driven through the real `lambda-probe`
//! binary: successes, errors, panics, timeouts, crashes and failed inits are
//! each reported as Lambda reports them, and the next invocation works.
//!
//! Invariant: every test runs its own runtime, so no instance is shared
//! between tests.

use opsflow_local::runtime::{InvocationReport, Runtime, RuntimeOptions};
use opsflow_local::template::FunctionDef;
use opsflow_local::InvokeOutcome;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

fn probe(logical_id: &str, timeout_secs: u32, environment: &[(&str, &str)]) -> FunctionDef {
    FunctionDef {
        logical_id: logical_id.into(),
        function_name: format!("probe-{logical_id}"),
        binary: "lambda-probe".into(),
        environment: environment
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
        memory_mb: 128,
        timeout_secs,
        architecture: "x86_64".into(),
        reserved_concurrency: None,
        events: Vec::new(),
    }
}

fn runtime(functions: &[FunctionDef], max_instances: usize) -> Arc<Runtime> {
    let binary = Path::new(env!("CARGO_BIN_EXE_lambda-probe"));
    let options = RuntimeOptions {
        binaries_dir: binary.parent().expect("a target directory").to_path_buf(),
        max_instances,
        print_logs: false,
        ..RuntimeOptions::default()
    };
    Runtime::new(functions, options).expect("the probe is built")
}

async fn call(runtime: &Runtime, function: &str, event: Value) -> InvokeOutcome {
    call_with_report(runtime, function, event).await.0
}

/// Invokes `function` with `event`; the outcome and the invocation's report.
async fn call_with_report(
    runtime: &Runtime,
    function: &str,
    event: Value,
) -> (InvokeOutcome, Option<InvocationReport>) {
    runtime
        .invoke_function(function, event.to_string().into_bytes())
        .await
}

fn body(outcome: InvokeOutcome) -> Value {
    match outcome {
        InvokeOutcome::Success(bytes) => serde_json::from_slice(&bytes).expect("a JSON response"),
        other => panic!("expected success, got {other:?}"),
    }
}

/// How an instance served a call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Start {
    /// A new instance (its report has an init duration).
    Cold,
    /// An instance that had served before.
    Warm,
    /// Either.
    Any,
}

/// Asserts that an empty call of `function` gets the probe's greeting,
/// from an instance started as `start` says.
async fn assert_next_call_served(runtime: &Runtime, function: &str, start: Start) {
    let (outcome, report) = runtime.invoke_function(function, b"{}".to_vec()).await;
    assert_eq!(body(outcome)["hello"], "world");
    let cold = report.expect("a report").init_duration_ms.is_some();
    match start {
        Start::Cold => assert!(cold, "expected a new instance"),
        Start::Warm => assert!(!cold, "expected a warm instance"),
        Start::Any => {}
    }
}

/// Asserts that `outcome` is a `Runtime.ExitError` whose message names
/// `status` (`exit status: <code>`).
fn assert_exit_error(outcome: InvokeOutcome, status: &str) {
    let (kind, message) = function_error(outcome);
    assert_eq!(kind, "Runtime.ExitError");
    assert!(message.contains(status), "{message}");
}

/// The error type and message of a function error; fails on any other
/// outcome.
fn function_error(outcome: InvokeOutcome) -> (String, String) {
    match outcome {
        InvokeOutcome::FunctionError {
            error_type,
            error_message,
        } => (error_type, error_message),
        other => panic!("expected a function error, got {other:?}"),
    }
}

/// Calls `Probe` six times at once (each sleeps 300 ms); all succeed.
/// Returns how many of the six were cold starts.
async fn cold_starts_of_six_concurrent_sleeps(runtime: &Runtime) -> usize {
    let mut reports = runtime.reports();
    let calls =
        (0..6).map(|_| call_with_report(runtime, "Probe", json!({"action": "sleep", "ms": 300})));
    let outcomes = futures::future::join_all(calls).await;
    assert!(outcomes
        .iter()
        .all(|(o, _)| matches!(o, InvokeOutcome::Success(_))));
    let mut cold = 0;
    for _ in 0..6 {
        if reports
            .recv()
            .await
            .expect("a report per call")
            .init_duration_ms
            .is_some()
        {
            cold += 1;
        }
    }
    cold
}

#[tokio::test]
async fn a_warm_instance_is_reused_and_only_the_first_call_is_cold() {
    let runtime = runtime(&[probe("Probe", 5, &[])], 1);
    let (first, first_report) =
        call_with_report(&runtime, "Probe", json!({"action": "echo", "n": 1})).await;
    assert_eq!(body(first), json!({"action": "echo", "n": 1}));
    let first_report = first_report.unwrap();
    assert!(
        first_report.init_duration_ms.is_some(),
        "cold start reports init"
    );
    assert!(first_report.max_memory_used_mb > 0);
    assert_eq!(first_report.memory_size_mb, 128);

    assert_next_call_served(&runtime, "probe-Probe", Start::Warm).await;
}

#[tokio::test]
async fn a_function_error_is_reported_and_the_instance_keeps_serving() {
    let runtime = runtime(&[probe("Probe", 5, &[])], 1);
    let (_, message) = function_error(call(&runtime, "Probe", json!({"action": "error"})).await);
    assert!(message.contains("deliberate failure"), "{message}");
    // The same instance served it.
    assert_next_call_served(&runtime, "Probe", Start::Warm).await;
}

#[tokio::test]
async fn a_panic_is_reported_as_an_error_and_the_next_call_works() {
    let runtime = runtime(&[probe("Probe", 5, &[])], 1);
    let (kind, message) = function_error(call(&runtime, "Probe", json!({"action": "panic"})).await);
    assert!(
        message.contains("deliberate panic") || kind.contains("ExitError"),
        "{kind}: {message}"
    );
    assert_next_call_served(&runtime, "Probe", Start::Any).await;
}

#[tokio::test]
async fn a_timeout_kills_the_instance_and_a_fresh_one_serves_next() {
    let runtime = runtime(&[probe("Probe", 1, &[])], 1);
    let (outcome, report) =
        call_with_report(&runtime, "Probe", json!({"action": "sleep", "ms": 5000})).await;
    assert_eq!(outcome, InvokeOutcome::Timeout);
    let report = report.unwrap();
    assert_eq!(report.error.as_deref(), Some("Sandbox.Timedout"));
    assert!(report.duration_ms >= 1000.0, "{}", report.duration_ms);

    // A new instance served it.
    assert_next_call_served(&runtime, "Probe", Start::Cold).await;
}

#[tokio::test]
async fn a_crash_mid_invocation_is_an_exit_error_and_the_next_call_works() {
    let runtime = runtime(&[probe("Probe", 5, &[])], 1);
    assert_exit_error(
        call(&runtime, "Probe", json!({"action": "exit"})).await,
        "exit status: 3",
    );
    assert_next_call_served(&runtime, "Probe", Start::Any).await;
}

#[tokio::test]
async fn a_failed_init_is_an_exit_error_every_time_without_hanging() {
    let runtime = runtime(&[probe("Broken", 5, &[("PROBE_FAIL_INIT", "1")])], 1);
    for _ in 0..2 {
        assert_exit_error(call(&runtime, "Broken", json!({})).await, "exit status: 1");
    }
}

#[tokio::test]
async fn concurrent_calls_use_up_to_the_instance_limit() {
    let runtime = runtime(&[probe("Probe", 5, &[])], 3);
    let cold = cold_starts_of_six_concurrent_sleeps(&runtime).await;
    assert_eq!(cold, 3, "three instances started, then reused");
}

#[tokio::test]
async fn reserved_concurrency_below_the_instance_limit_caps_the_instances() {
    let mut capped = probe("Probe", 5, &[]);
    capped.reserved_concurrency = Some(2);
    let runtime = runtime(&[capped], 4);
    let cold = cold_starts_of_six_concurrent_sleeps(&runtime).await;
    assert_eq!(
        cold, 2,
        "two instances (the reserved concurrency), then reused"
    );
}

#[tokio::test]
async fn unknown_functions_and_missing_binaries_are_clear() {
    let runtime = runtime(&[probe("Probe", 5, &[])], 1);
    assert_eq!(
        call(&runtime, "Nope", json!({})).await,
        InvokeOutcome::NoSuchFunction
    );
    let mut missing = probe("Missing", 5, &[]);
    missing.binary = "no-such-binary".into();
    let options = RuntimeOptions {
        binaries_dir: std::env::temp_dir(),
        ..RuntimeOptions::default()
    };
    let error = Runtime::new(&[missing], options).err().unwrap().to_string();
    assert!(
        error.contains("Missing") && error.contains("build it first"),
        "{error}"
    );
}
