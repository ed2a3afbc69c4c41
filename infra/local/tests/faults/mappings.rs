//! The pipeline's two event source mappings, configured as `template.yaml`
//! configures them, run by the local runtime's pollers: the stream into
//! the router, the audit queue into the audit writer.
//!
//! Invariant: the settings are the template's, apart from the names of
//! the table and queues.

use super::emulators::Resources;
use super::functions::{AuditWriterFunction, RouterFunction};
use crate::support::{sqs_source, stream_source, REGION};
use opsflow_local::sources::{sqs, stream, Wiring};
use opsflow_local::template::{SqsSource, StreamSource};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The running mappings.
pub struct Mappings {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Mappings {
    pub fn start(
        resources: &Resources,
        router: Arc<RouterFunction>,
        writer: Arc<AuditWriterFunction>,
    ) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let stream_task = tokio::spawn(stream::run(
            stream::StreamMapping {
                source: StreamSource {
                    filter_patterns: vec![
                        json!({"dynamodb": {"NewImage": {"type": {"S": ["event"]}}}}),
                    ],
                    maximum_retry_attempts: 1000,
                    maximum_record_age_secs: 21600,
                    bisect_batch_on_function_error: true,
                    on_failure: Some("EventQuarantineQueue".into()),
                    ..stream_source("EventRouterFunction", "MainTable")
                },
                stream_arn: resources.stream_arn.clone(),
                region: REGION.into(),
                on_failure: Some(stream::OnFailureQueue {
                    sqs: resources.sqs.clone(),
                    url: resources.quarantine_url.clone(),
                }),
            },
            resources.streams.clone(),
            Wiring {
                invoker: router,
                shutdown: stop_rx.clone(),
            },
        ));
        let sqs_task = tokio::spawn(sqs::run(
            sqs::SqsMapping {
                source: SqsSource {
                    maximum_concurrency: Some(5),
                    ..sqs_source("AuditWriterFunction", "AuditQueue")
                },
                queue_url: resources.audit_url.clone(),
                queue_arn: resources.audit_arn.clone(),
                region: REGION.into(),
            },
            resources.sqs.clone(),
            Wiring {
                invoker: writer,
                shutdown: stop_rx,
            },
        ));
        Self {
            stop,
            tasks: vec![stream_task, sqs_task],
        }
    }

    /// Stops both pollers, waiting a little for each.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }
}
