//! `automation-runner`: the `automation` queue → rule runs and their actions.

// The handler's future (runner, approval transaction, SDK calls) nests more
// deeply than the default limit allows the compiler to lay it out.
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use opsflow_automation::pipeline::automation_runner::Runner;
use opsflow_platform::config::{Config, Needs};

#[tokio::main]
async fn main() -> Result<(), Error> {
    opsflow_platform::telemetry::init();
    let needs = Needs {
        action_queues: true,
        ..Needs::default()
    };
    let sdk = opsflow_platform::store::sdk_config().await;
    // Built once per cold start and kept for the life of the process. (The
    // runner's future is not `Send` for every lifetime the generic
    // `consumer::run` asks about, so this consumer is wired by hand.)
    let runner = Runner::from_config(Config::from_env(needs)?, &sdk)?
        // The modules whose entities rules act on.
        .with_registry(&[opsflow_approvals::register]);
    let runner: &'static Runner = Box::leak(Box::new(runner));
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(runner.run_batch(&event.payload).await)
    }))
    .await
}
