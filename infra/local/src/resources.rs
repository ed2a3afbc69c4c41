//! Creates the template's tables on DynamoDB Local and its queues, S3
//! buckets and SES e-mail identities on moto.
//!
//! Creation is idempotent: a table, queue, bucket or identity that already
//! exists is kept with its data. A table whose keys, indexes or stream
//! differ from the template (or a queue whose FIFO setting or dead-letter
//! queue does) is refused with an error suggesting a reset; `reset` deletes
//! and recreates tables and queues empty, and empties buckets (an identity
//! holds no data). Tables are created on demand (`PAY_PER_REQUEST`) with
//! their attributes, keys, global secondary indexes and stream, then get
//! their TTL attribute. Dead-letter queues are created before the queues
//! that redrive to them, so that each `RedrivePolicy` names a real queue
//! ARN. Buckets and identities come last: nothing else refers to them.

mod buckets;
mod email;
mod queues;
mod tables;

use crate::template::{QueueDef, Template};
use anyhow::{anyhow, bail, Context, Result};
use buckets::{delete_bucket, ensure_bucket};
use email::{delete_identity, ensure_identity};
use opsflow_platform::store::emulator_sdk_config;
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
    /// Logical id → bucket name.
    pub bucket_names: BTreeMap<String, String>,
    /// Logical id → the e-mail address (or domain) of the identity.
    pub email_identities: BTreeMap<String, String>,
}

/// The emulators' clients: DynamoDB Local for tables, moto for the rest.
#[derive(Debug, Clone)]
pub struct EmulatorClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// Path-style: moto serves buckets at `{moto}/{bucket}` only.
    pub s3: aws_sdk_s3::Client,
    pub sesv2: aws_sdk_sesv2::Client,
}

impl EmulatorClients {
    /// Clients of DynamoDB Local at `dynamodb_endpoint` and of moto at
    /// `moto_endpoint`, in `region`, with the local credentials.
    pub async fn connect(dynamodb_endpoint: &str, moto_endpoint: &str, region: &str) -> Self {
        let dynamodb = emulator_sdk_config(dynamodb_endpoint, region).await;
        let moto = emulator_sdk_config(moto_endpoint, region).await;
        let s3 = aws_sdk_s3::config::Builder::from(&moto)
            .force_path_style(true)
            .build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&dynamodb),
            sqs: aws_sdk_sqs::Client::new(&moto),
            s3: aws_sdk_s3::Client::from_conf(s3),
            sesv2: aws_sdk_sesv2::Client::new(&moto),
        }
    }
}

/// How long to wait for a table to become active or to disappear.
const TABLE_WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

fn sdk_error<E: std::error::Error + 'static>(error: E) -> anyhow::Error {
    anyhow!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&error))
}

/// Creates every table, queue, bucket and e-mail identity of `template`
/// that does not exist yet (tables and queues anew and buckets emptied,
/// with `reset`).
pub async fn create_all(
    template: &Template,
    clients: &EmulatorClients,
    reset: bool,
) -> Result<CreatedResources> {
    let (dynamodb, sqs) = (&clients.dynamodb, &clients.sqs);
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

    for bucket in &template.buckets {
        ensure_bucket(&clients.s3, bucket, reset)
            .await
            .with_context(|| format!("bucket {} ({})", bucket.name, bucket.logical_id))?;
        created
            .bucket_names
            .insert(bucket.logical_id.clone(), bucket.name.clone());
    }
    for identity in &template.email_identities {
        ensure_identity(&clients.sesv2, identity)
            .await
            .with_context(|| {
                format!(
                    "e-mail identity {} ({})",
                    identity.identity, identity.logical_id
                )
            })?;
        created
            .email_identities
            .insert(identity.logical_id.clone(), identity.identity.clone());
    }
    Ok(created)
}

/// Deletes every table, queue, bucket (with its objects) and e-mail
/// identity of `template` that exists.
pub async fn delete_all(template: &Template, clients: &EmulatorClients) -> Result<()> {
    let (dynamodb, sqs) = (&clients.dynamodb, &clients.sqs);
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
    for bucket in &template.buckets {
        delete_bucket(&clients.s3, &bucket.name).await?;
    }
    for identity in &template.email_identities {
        delete_identity(&clients.sesv2, &identity.identity).await?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "resources_tests.rs"]
mod tests;
