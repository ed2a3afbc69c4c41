//! `audit-writer`: the `audit` queue → one audit record per event.

use aws_lambda_events::event::sqs::SqsEvent;
use opsflow_audit::pipeline::audit_writer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    opsflow_platform::pipeline::consumer::run(
        audit_writer::audit_table,
        |store, event: SqsEvent| async move { audit_writer::write_batch(store, &event).await },
    )
    .await
}
