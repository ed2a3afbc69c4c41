//! `automation-runner`: the `automation` queue → rule runs and their actions.

// The handler's future (runner, approval transaction, SDK calls) nests more
// deeply than the default limit allows the compiler to lay it out.
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use opsflow_automation::pipeline::automation_runner::Runner;
use opsflow_platform::config::{Config, Needs};
use opsflow_platform::store::Store;
use opsflow_platform::telemetry;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env(Needs {
        action_queues: true,
        ..Needs::default()
    })?;
    let sdk = opsflow_platform::store::sdk_config().await;
    let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), config.table_name);
    // Built once per cold start and kept for the life of the process.
    let runner: &'static Runner = Box::leak(Box::new(Runner::new(
        store,
        aws_sdk_sqs::Client::new(&sdk),
        config.jobs_queue_url,
        config.webhooks_queue_url.unwrap_or_default(),
    )));
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(runner.run_batch(&event.payload).await)
    }))
    .await
}
