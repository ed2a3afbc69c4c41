//! Creates the template's tables on DynamoDB Local and its queues on moto.
//!
//! Creation is idempotent: a table or queue that already exists is kept with
//! its data. A table whose keys, indexes or stream differ from the template
//! (or a queue whose FIFO setting or dead-letter queue does) is refused with
//! an error suggesting a reset; `reset` deletes and recreates everything
//! empty. Tables are created on demand (`PAY_PER_REQUEST`) with their
//! attributes, keys, global secondary indexes and stream, then get their TTL
//! attribute. Dead-letter queues are created before the queues that redrive
//! to them, so that each `RedrivePolicy` names a real queue ARN.

mod queues;
mod tables;

use crate::template::{QueueDef, Template};
use anyhow::{anyhow, bail, Context, Result};
use queues::{delete_queue, ensure_queue, queue_url};
use std::collections::BTreeMap;
use std::time::Duration;
use tables::{delete_table, describe_table, ensure_table};

/// What exists after [`create_all`], by logical id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatedResources {
    /// Logical id → queue URL, as moto answers it.
    pub queue_urls: BTreeMap<String, String>,
    /// Logical id → queue ARN (`QueueArn` attribute).
    pub queue_arns: BTreeMap<String, String>,
    /// Logical id → table name.
    pub table_names: BTreeMap<String, String>,
    /// Logical id → the table's `LatestStreamArn`, for tables with a stream.
    pub stream_arns: BTreeMap<String, String>,
}

/// How long to wait for a table to become active or to disappear.
const TABLE_WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

fn sdk_error<E: std::error::Error + 'static>(error: E) -> anyhow::Error {
    anyhow!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&error))
}

/// Creates every table and queue of `template` that does not exist yet (all
/// of them, emptied, with `reset`).
pub async fn create_all(
    template: &Template,
    dynamodb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    reset: bool,
) -> Result<CreatedResources> {
    let mut created = CreatedResources::default();
    for table in &template.tables {
        let stream_arn = ensure_table(dynamodb, table, reset)
            .await
            .with_context(|| format!("table {} ({})", table.name, table.logical_id))?;
        created
            .table_names
            .insert(table.logical_id.clone(), table.name.clone());
        if let Some(arn) = stream_arn {
            created.stream_arns.insert(table.logical_id.clone(), arn);
        }
    }

    // Dead-letter queues first: a redrive policy needs its target's ARN.
    let mut pending: Vec<&QueueDef> = template.queues.iter().collect();
    while !pending.is_empty() {
        let (ready, waiting): (Vec<&QueueDef>, Vec<&QueueDef>) =
            pending.into_iter().partition(|queue| {
                queue
                    .redrive
                    .as_ref()
                    .is_none_or(|r| created.queue_arns.contains_key(&r.dead_letter_queue))
            });
        if ready.is_empty() {
            let names: Vec<&str> = waiting.iter().map(|q| q.logical_id.as_str()).collect();
            bail!(
                "queues {}: their dead-letter queues are missing from the template or redrive to each other",
                names.join(", ")
            );
        }
        for queue in ready {
            let dead_letter_arn = queue
                .redrive
                .as_ref()
                .and_then(|r| created.queue_arns.get(&r.dead_letter_queue))
                .cloned();
            let (url, arn) = ensure_queue(sqs, queue, dead_letter_arn.as_deref(), reset)
                .await
                .with_context(|| format!("queue {} ({})", queue.name, queue.logical_id))?;
            created.queue_urls.insert(queue.logical_id.clone(), url);
            created.queue_arns.insert(queue.logical_id.clone(), arn);
        }
        pending = waiting;
    }
    Ok(created)
}

/// Deletes every table and queue of `template` that exists.
pub async fn delete_all(
    template: &Template,
    dynamodb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
) -> Result<()> {
    for table in &template.tables {
        if describe_table(dynamodb, &table.name).await?.is_some() {
            delete_table(dynamodb, &table.name).await?;
        }
    }
    for queue in &template.queues {
        if let Some(url) = queue_url(sqs, &queue.name).await? {
            delete_queue(sqs, &url).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "resources_tests.rs"]
mod tests;
