//! `job-worker`: the `jobs` and `jobs-high` queues → one attempt of each
//! job that is due.

// The worker's future (a job's work, S3 and SES calls, transactions) nests
// more deeply than the default limit allows the compiler to lay it out.
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use opsflow_jobs::pipeline::Worker;
use opsflow_platform::pipeline::consumer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    consumer::run(Worker::from_config, |worker, event: SqsEvent| async move {
        worker.run_batch(&event).await
    })
    .await
}
