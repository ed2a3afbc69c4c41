//! `webhook-dispatcher`: the `webhooks` queue → one delivery per matching
//! subscription, each attempt signed, retried on its schedule.

use aws_lambda_events::event::sqs::SqsEvent;
use opsflow_webhooks::pipeline::Dispatcher;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    opsflow_platform::pipeline::consumer::run(
        Dispatcher::from_config,
        |dispatcher, event: SqsEvent| async move { dispatcher.handle_batch(&event).await },
    )
    .await
}
