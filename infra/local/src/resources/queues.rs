//! The template's SQS queues on moto: created with their FIFO setting and
//! redrive policy (its dead-letter queue must exist first), kept when they
//! already match, refused when they do not.

use super::sdk_error;
use crate::template::QueueDef;
use anyhow::{anyhow, bail, Result};
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::BTreeMap;

/// The URL of the queue named `name`, if it exists.
pub(super) async fn queue_url(client: &aws_sdk_sqs::Client, name: &str) -> Result<Option<String>> {
    use aws_sdk_sqs::error::ProvideErrorMetadata;
    match client.get_queue_url().queue_name(name).send().await {
        Ok(output) => Ok(output.queue_url),
        Err(error) => {
            let missing = error.as_service_error().is_some_and(|e| {
                e.is_queue_does_not_exist()
                    || e.code().is_some_and(|code| {
                        code.contains("NonExistentQueue") || code.contains("QueueDoesNotExist")
                    })
            });
            if missing {
                Ok(None)
            } else {
                Err(sdk_error(error).context(format!("GetQueueUrl {name}")))
            }
        }
    }
}

pub(super) async fn delete_queue(client: &aws_sdk_sqs::Client, url: &str) -> Result<()> {
    client
        .delete_queue()
        .queue_url(url)
        .send()
        .await
        .map_err(|e| sdk_error(e).context(format!("DeleteQueue {url}")))?;
    Ok(())
}

async fn queue_attributes(
    client: &aws_sdk_sqs::Client,
    url: &str,
) -> Result<BTreeMap<String, String>> {
    let output = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .map_err(|e| sdk_error(e).context(format!("GetQueueAttributes {url}")))?;
    Ok(output
        .attributes
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.as_str().to_owned(), v))
        .collect())
}

/// The attributes the template sets on a queue (besides `FifoQueue`).
pub(super) fn queue_settings(
    queue: &QueueDef,
    dead_letter_arn: Option<&str>,
) -> Vec<(QueueAttributeName, String)> {
    let mut settings = vec![(
        QueueAttributeName::VisibilityTimeout,
        queue.visibility_timeout_secs.to_string(),
    )];
    if let Some(retention) = queue.message_retention_secs {
        settings.push((
            QueueAttributeName::MessageRetentionPeriod,
            retention.to_string(),
        ));
    }
    if let (Some(redrive), Some(arn)) = (&queue.redrive, dead_letter_arn) {
        settings.push((
            QueueAttributeName::RedrivePolicy,
            serde_json::json!({
                "deadLetterTargetArn": arn,
                "maxReceiveCount": redrive.max_receive_count,
            })
            .to_string(),
        ));
    }
    settings
}

/// Makes sure the queue exists with the template's settings; returns its
/// URL and ARN.
pub(super) async fn ensure_queue(
    client: &aws_sdk_sqs::Client,
    queue: &QueueDef,
    dead_letter_arn: Option<&str>,
    reset: bool,
) -> Result<(String, String)> {
    let settings = queue_settings(queue, dead_letter_arn);
    let mut existing = queue_url(client, &queue.name).await?;
    if let (Some(url), true) = (&existing, reset) {
        delete_queue(client, url).await?;
        existing = None;
    }
    let url = match existing {
        Some(url) => {
            let attributes = queue_attributes(client, &url).await?;
            let fifo = attributes.get("FifoQueue").is_some_and(|v| v == "true");
            if fifo != queue.fifo {
                bail!(
                    "the existing queue {} FIFO but the template's {}; run with --reset to recreate it",
                    if fifo { "is" } else { "is not" },
                    if queue.fifo { "is" } else { "is not" }
                );
            }
            if queue.redrive.is_none() && attributes.contains_key("RedrivePolicy") {
                bail!(
                    "the existing queue has a redrive policy the template does not; run with \
                     --reset to recreate it"
                );
            }
            let mut request = client.set_queue_attributes().queue_url(&url);
            for (name, value) in settings {
                request = request.attributes(name, value);
            }
            request
                .send()
                .await
                .map_err(|e| sdk_error(e).context("SetQueueAttributes"))?;
            url
        }
        None => {
            let mut request = client.create_queue().queue_name(&queue.name);
            if queue.fifo {
                request = request.attributes(QueueAttributeName::FifoQueue, "true");
            }
            for (name, value) in settings {
                request = request.attributes(name, value);
            }
            request
                .send()
                .await
                .map_err(|e| sdk_error(e).context("CreateQueue"))?
                .queue_url
                .ok_or_else(|| anyhow!("CreateQueue returned no QueueUrl"))?
        }
    };
    let arn = queue_attributes(client, &url)
        .await?
        .remove("QueueArn")
        .ok_or_else(|| anyhow!("GetQueueAttributes returned no QueueArn for {url}"))?;
    Ok((url, arn))
}
