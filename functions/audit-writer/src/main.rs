//! `audit-writer`: the `audit` queue → one audit record per event.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use opsflow_audit::pipeline::audit_writer;
use opsflow_platform::config::{Config, Needs};
use opsflow_platform::store::Store;
use opsflow_platform::telemetry;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env(Needs {
        audit_table: true,
        ..Needs::default()
    })?;
    let sdk = opsflow_platform::store::sdk_config().await;
    let table = config.audit_table_name.unwrap_or_default();
    // Built once per cold start and kept for the life of the process.
    let store: &'static Store = Box::leak(Box::new(Store::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        table,
    )));
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(audit_writer::write_batch(store, &event.payload).await)
    }))
    .await
}
