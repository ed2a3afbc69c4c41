//! The whole `main` of a consumer function (a queue's or the stream's):
//! tracing, its configuration, and its context built
//! once per cold start, then every batch to its handler. The handler's
//! answer is the batch response that names only the records to retry, so
//! a consumer never fails a whole batch for one record.

use crate::config::Config;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsMessage};
use futures::Future;
use lambda_runtime::{service_fn, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Runs a consumer: `build` makes its context from the configuration and
/// the SDK configuration (for its clients); `handler` answers each batch.
pub async fn run<E, R, C, B, F, Fut>(build: B, handler: F) -> Result<(), lambda_runtime::Error>
where
    E: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    C: Sync + 'static,
    B: FnOnce(Config, &aws_config::SdkConfig) -> anyhow::Result<C>,
    F: Fn(&'static C, E) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = R> + Send,
{
    crate::telemetry::init();
    let config = Config::from_env()?;
    let sdk = crate::store::sdk_config().await;
    // Kept for the life of the process, like the clients inside it.
    let context: &'static C = Box::leak(Box::new(build(config, &sdk)?));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<E>| async move {
        Ok::<_, lambda_runtime::Error>(handler(context, event.payload).await)
    }))
    .await
}

/// The entry of a batch response that has SQS deliver `message` again
/// (`ReportBatchItemFailures`): every queue consumer names its failures so.
pub fn retry(message: &SqsMessage) -> BatchItemFailure {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = message.message_id.clone().unwrap_or_default();
    failure
}

/// The span a consumer handles `message` in: its message id and, when its
/// body is an event envelope, the event's id, type and correlation id, so
/// every line logged about the message carries them
/// ([`crate::telemetry::line`]).
pub fn message_span(message: &SqsMessage) -> tracing::Span {
    #[derive(serde::Deserialize, Default)]
    struct Ids {
        #[serde(default)]
        id: String,
        #[serde(default, rename = "type")]
        event_type: String,
        #[serde(default)]
        correlation_id: String,
    }
    let ids: Ids = message
        .body
        .as_deref()
        .and_then(|body| serde_json::from_str(body).ok())
        .unwrap_or_default();
    tracing::info_span!(
        "message",
        message_id = message.message_id.as_deref().unwrap_or_default(),
        event_id = %ids.id,
        event_type = %ids.event_type,
        correlation_id = %ids.correlation_id,
    )
}

/// Handles every message of `messages` at once, each inside its
/// [`message_span`]; each message with its outcome and its span (to log
/// what became of it), in the batch's order.
pub async fn each_in_its_span<'a, T, Fut>(
    messages: &'a [SqsMessage],
    handle: impl Fn(&'a SqsMessage) -> Fut,
) -> Vec<(&'a SqsMessage, T, tracing::Span)>
where
    Fut: Future<Output = T>,
{
    use tracing::Instrument;
    let spans: Vec<tracing::Span> = messages.iter().map(message_span).collect();
    let outcomes = futures::future::join_all(
        messages
            .iter()
            .zip(&spans)
            .map(|(message, span)| handle(message).instrument(span.clone())),
    )
    .await;
    messages
        .iter()
        .zip(outcomes)
        .zip(spans)
        .map(|((message, outcome), span)| (message, outcome, span))
        .collect()
}
