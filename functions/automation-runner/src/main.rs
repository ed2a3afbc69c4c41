//! `automation-runner`: the `automation` queue → rule runs and their
//! actions, on the entities of every module in this function's
//! `Cargo.toml`.

// The handler's future (runner, approval transaction, SDK calls) nests more
// deeply than the default limit allows the compiler to lay it out.
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use opsflow_automation::pipeline::automation_runner::Runner;
use opsflow_platform::config::Config;

include!(concat!(env!("OUT_DIR"), "/modules.rs"));

#[tokio::main]
async fn main() -> Result<(), Error> {
    opsflow_platform::telemetry::init();
    let sdk = opsflow_platform::store::sdk_config().await;
    // Built once per cold start and kept for the life of the process. (The
    // runner's future is not `Send` for every lifetime the generic
    // `consumer::run` asks about, so this consumer is wired by hand.)
    let runner = Runner::from_config(Config::from_env()?, &sdk)?.with_registry(MODULES);
    let runner: &'static Runner = Box::leak(Box::new(runner));
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(runner.run_batch(&event.payload).await)
    }))
    .await
}
