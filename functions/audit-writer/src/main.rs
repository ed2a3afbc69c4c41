//! `audit-writer`: the `audit` queue → one audit record per event.

use aws_lambda_events::event::sqs::SqsEvent;
use opsflow_audit::pipeline::audit_writer;
use opsflow_platform::config::Needs;
use opsflow_platform::pipeline::consumer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let needs = Needs {
        audit_table: true,
        ..Needs::default()
    };
    consumer::run(
        needs,
        audit_writer::audit_table,
        |store, event: SqsEvent| async move { audit_writer::write_batch(store, &event).await },
    )
    .await
}
