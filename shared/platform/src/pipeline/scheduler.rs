//! The whole `main` of the `scheduler` function, fired by an EventBridge
//! schedule every minute: each time, every sweep the modules in its
//! `Cargo.toml` registered ([`crate::registry::Sweep`]) runs once, at the
//! same `now`, under the scheduled event's id as correlation id (so an
//! escalation's audit record names the tick that made it).
//!
//! An invocation fails when a sweep failed or left items failed: the
//! function's `Errors` metric (and alarm) shows it, and EventBridge's
//! retries and the next tick run the sweeps again, which is safe (every
//! sweep does each item once).

use crate::config::Config;
use crate::pipeline::queues::QueueProbe;
use crate::registry::{Registry, SweepReport, Tick};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Map, Value};

/// Runs the scheduler over the sweeps of `modules`.
pub async fn run(modules: &[fn(&mut Registry)]) -> Result<(), lambda_runtime::Error> {
    crate::telemetry::init();
    let config = Config::from_env()?;
    let sdk = crate::store::sdk_config().await;
    let queues = QueueProbe::from_vars(&config.vars, &sdk);
    let app = crate::App::new(config, &sdk).with_registry(modules);
    // Kept for the life of the process, like the clients inside it.
    let app: &'static crate::App = Box::leak(Box::new(app));
    let queues: &'static QueueProbe = Box::leak(Box::new(queues));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let correlation_id = correlation_of(&event.payload, &event.context.request_id);
        let tick = Tick {
            store: &app.store,
            queues,
            now: crate::clock::now(),
            correlation_id: &correlation_id,
        };
        run_sweeps(&app.registry, &tick)
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}

/// The correlation id of a tick: the scheduled event's `id`, else the
/// invocation's request id.
pub fn correlation_of(event: &Value, request_id: &str) -> String {
    event
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty() && id.len() <= 128)
        .unwrap_or(request_id)
        .to_owned()
}

/// Runs every sweep of `registry` once at `tick`: their reports by name
/// (`{"escalations": {"done": 2, "skipped": 0, "failed": 0}}`), or an
/// error naming the sweeps that failed, after every sweep has run.
pub async fn run_sweeps(registry: &Registry, tick: &Tick<'_>) -> Result<Value, String> {
    let mut reports = Map::new();
    let mut failures = Vec::new();
    for sweep in registry.sweeps() {
        match (sweep.run)(tick).await {
            Ok(report) => {
                tracing::info!(
                    sweep = sweep.name,
                    done = report.done,
                    skipped = report.skipped,
                    failed = report.failed,
                    "sweep ran"
                );
                if report.failed > 0 {
                    failures.push(format!("{}: {} failed", sweep.name, report.failed));
                }
                reports.insert(sweep.name.to_owned(), json!(report));
            }
            Err(error) => {
                tracing::error!(sweep = sweep.name, error = %error, "sweep failed");
                failures.push(format!("{}: {error}", sweep.name));
                reports.insert(sweep.name.to_owned(), json!(SweepReport::default()));
            }
        }
    }
    if failures.is_empty() {
        Ok(Value::Object(reports))
    } else {
        Err(failures.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_is_correlated_by_its_scheduled_event() {
        let event = json!({"id": "2c3d", "detail-type": "Scheduled Event"});
        assert_eq!(correlation_of(&event, "req-1"), "2c3d");
        assert_eq!(correlation_of(&json!({}), "req-1"), "req-1");
        assert_eq!(correlation_of(&json!({"id": ""}), "req-1"), "req-1");
    }
}
