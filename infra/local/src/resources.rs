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

use crate::template::{IndexDef, QueueDef, TableDef, Template};
use anyhow::{anyhow, bail, Context, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TableDescription,
    TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::BTreeMap;
use std::time::Duration;

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

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

/// Makes sure the table exists as the template describes it; returns its
/// stream ARN.
async fn ensure_table(
    client: &aws_sdk_dynamodb::Client,
    table: &TableDef,
    reset: bool,
) -> Result<Option<String>> {
    let mut description = describe_table(client, &table.name).await?;
    if let Some(existing) = &description {
        if reset {
            delete_table(client, &table.name).await?;
            description = None;
        } else {
            let differences = differences(table, existing);
            if !differences.is_empty() {
                bail!(
                    "the existing table differs from the template ({}); run with --reset to \
                     recreate it (its items are deleted)",
                    differences.join("; ")
                );
            }
        }
    }
    let description = match description {
        Some(description) => description,
        None => {
            create_table(client, table).await?;
            wait_until_active(client, &table.name).await?
        }
    };
    if let Some(attribute) = &table.ttl_attribute {
        enable_ttl(client, &table.name, attribute).await?;
    }
    if table.stream_view_type.is_some() {
        let arn = description
            .latest_stream_arn()
            .ok_or_else(|| anyhow!("DescribeTable returned no LatestStreamArn"))?;
        return Ok(Some(arn.to_owned()));
    }
    Ok(None)
}

async fn describe_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<Option<TableDescription>> {
    match client.describe_table().table_name(name).send().await {
        Ok(output) => Ok(output.table),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(error) => Err(sdk_error(error).context(format!("describing table {name}"))),
    }
}

async fn wait_until_active(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<TableDescription> {
    let deadline = tokio::time::Instant::now() + TABLE_WAIT;
    loop {
        if let Some(description) = describe_table(client, name).await? {
            let indexes_active = description
                .global_secondary_indexes()
                .iter()
                .all(|i| i.index_status().is_none_or(|s| s.as_str() == "ACTIVE"));
            if description.table_status() == Some(&TableStatus::Active) && indexes_active {
                return Ok(description);
            }
        }
        if tokio::time::Instant::now() > deadline {
            bail!("table {name} did not become ACTIVE within {TABLE_WAIT:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn delete_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<()> {
    match client.delete_table().table_name(name).send().await {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) => {}
        Err(error) => return Err(sdk_error(error).context(format!("deleting table {name}"))),
    }
    let deadline = tokio::time::Instant::now() + TABLE_WAIT;
    while describe_table(client, name).await?.is_some() {
        if tokio::time::Instant::now() > deadline {
            bail!("table {name} was not deleted within {TABLE_WAIT:?}");
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement> {
    Ok(KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()?)
}

fn key_schema(hash: &str, range: Option<&str>) -> Result<Vec<KeySchemaElement>> {
    let mut keys = vec![key(hash, KeyType::Hash)?];
    if let Some(range) = range {
        keys.push(key(range, KeyType::Range)?);
    }
    Ok(keys)
}

fn global_index(index: &IndexDef) -> Result<GlobalSecondaryIndex> {
    let mut projection =
        Projection::builder().projection_type(ProjectionType::from(index.projection.as_str()));
    for attribute in &index.non_key_attributes {
        projection = projection.non_key_attributes(attribute);
    }
    Ok(GlobalSecondaryIndex::builder()
        .index_name(&index.name)
        .set_key_schema(Some(key_schema(
            &index.hash_key,
            index.range_key.as_deref(),
        )?))
        .projection(projection.build())
        .build()?)
}

async fn create_table(client: &aws_sdk_dynamodb::Client, table: &TableDef) -> Result<()> {
    let mut request = client
        .create_table()
        .table_name(&table.name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(
            &table.hash_key,
            table.range_key.as_deref(),
        )?));
    for (name, kind) in &table.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()?,
        );
    }
    for index in &table.global_indexes {
        request = request.global_secondary_indexes(global_index(index)?);
    }
    if let Some(view) = &table.stream_view_type {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view.as_str()))
                .build()?,
        );
    }
    request
        .send()
        .await
        .map_err(|e| sdk_error(e).context("CreateTable"))?;
    Ok(())
}

/// Enables TTL on `attribute` unless it already is.
async fn enable_ttl(client: &aws_sdk_dynamodb::Client, name: &str, attribute: &str) -> Result<()> {
    let current = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| sdk_error(e).context("DescribeTimeToLive"))?;
    if let Some(ttl) = current.time_to_live_description() {
        let on = matches!(
            ttl.time_to_live_status(),
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        );
        match ttl.attribute_name() {
            Some(current) if on && current == attribute => return Ok(()),
            Some(current) if on => bail!(
                "TTL is enabled on {current}, not on {attribute} as in the template; run with \
                 --reset to recreate the table"
            ),
            _ => {}
        }
    }
    let result = client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(attribute)
                .build()?,
        )
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        // A concurrent run enabled it in between.
        Err(error)
            if format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&error))
                .contains("already enabled") =>
        {
            Ok(())
        }
        Err(error) => Err(sdk_error(error).context("UpdateTimeToLive")),
    }
}

/// How an existing table differs from the template (empty if it matches).
fn differences(table: &TableDef, existing: &TableDescription) -> Vec<String> {
    let mut differences = Vec::new();
    let key_names = |keys: &[KeySchemaElement]| -> (Option<String>, Option<String>) {
        let find = |kind: KeyType| {
            keys.iter()
                .find(|k| k.key_type() == &kind)
                .map(|k| k.attribute_name().to_owned())
        };
        (find(KeyType::Hash), find(KeyType::Range))
    };
    let attribute_type = |name: &str| {
        existing
            .attribute_definitions()
            .iter()
            .find(|a| a.attribute_name() == name)
            .map(|a| a.attribute_type().as_str().to_owned())
    };
    let expected_keys = (Some(table.hash_key.clone()), table.range_key.clone());
    let actual_keys = key_names(existing.key_schema());
    if actual_keys != expected_keys {
        differences.push(format!(
            "key schema is {}, the template has {}",
            show_keys(&actual_keys),
            show_keys(&expected_keys)
        ));
    }
    for (name, kind) in &table.attributes {
        if let Some(actual) = attribute_type(name) {
            if &actual != kind {
                differences.push(format!(
                    "attribute {name} is of type {actual}, the template has {kind}"
                ));
            }
        }
    }

    let mut actual_indexes = BTreeMap::new();
    for index in existing.global_secondary_indexes() {
        let keys = key_names(index.key_schema());
        let projection = index
            .projection()
            .and_then(|p| p.projection_type())
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        actual_indexes.insert(
            index.index_name().unwrap_or_default().to_owned(),
            (keys, projection),
        );
    }
    let mut expected_indexes = BTreeMap::new();
    for index in &table.global_indexes {
        expected_indexes.insert(
            index.name.clone(),
            (
                (Some(index.hash_key.clone()), index.range_key.clone()),
                index.projection.clone(),
            ),
        );
    }
    for (name, expected) in &expected_indexes {
        match actual_indexes.get(name) {
            None => differences.push(format!("index {name} is missing")),
            Some(actual) if actual != expected => differences.push(format!(
                "index {name} has keys {} ({}), the template has {} ({})",
                show_keys(&actual.0),
                actual.1,
                show_keys(&expected.0),
                expected.1
            )),
            Some(_) => {}
        }
    }
    for name in actual_indexes.keys() {
        if !expected_indexes.contains_key(name) {
            differences.push(format!("index {name} is not in the template"));
        }
    }

    let actual_stream = existing
        .stream_specification()
        .filter(|s| s.stream_enabled())
        .and_then(|s| s.stream_view_type())
        .map(|v| v.as_str().to_owned());
    if actual_stream != table.stream_view_type {
        differences.push(format!(
            "stream is {}, the template has {}",
            actual_stream.as_deref().unwrap_or("off"),
            table.stream_view_type.as_deref().unwrap_or("none")
        ));
    }
    differences
}

fn show_keys(keys: &(Option<String>, Option<String>)) -> String {
    match keys {
        (Some(hash), Some(range)) => format!("{hash}/{range}"),
        (Some(hash), None) => hash.clone(),
        (None, _) => "none".to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Queues
// ---------------------------------------------------------------------------

/// The URL of the queue named `name`, if it exists.
async fn queue_url(client: &aws_sdk_sqs::Client, name: &str) -> Result<Option<String>> {
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

async fn delete_queue(client: &aws_sdk_sqs::Client, url: &str) -> Result<()> {
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
fn queue_settings(
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
async fn ensure_queue(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Redrive;

    fn table() -> TableDef {
        TableDef {
            logical_id: "T".into(),
            name: "items".into(),
            attributes: [("pk", "S"), ("sk", "S"), ("g", "S")]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            hash_key: "pk".into(),
            range_key: Some("sk".into()),
            global_indexes: vec![IndexDef {
                name: "byG".into(),
                hash_key: "g".into(),
                range_key: None,
                projection: "ALL".into(),
                non_key_attributes: Vec::new(),
            }],
            stream_view_type: Some("NEW_IMAGE".into()),
            ttl_attribute: None,
        }
    }

    fn description(table: &TableDef) -> TableDescription {
        let mut builder = TableDescription::builder()
            .table_name(&table.name)
            .set_key_schema(Some(
                key_schema(&table.hash_key, table.range_key.as_deref()).unwrap(),
            ));
        for (name, kind) in &table.attributes {
            builder = builder.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::from(kind.as_str()))
                    .build()
                    .unwrap(),
            );
        }
        for index in &table.global_indexes {
            builder = builder.global_secondary_indexes(
                aws_sdk_dynamodb::types::GlobalSecondaryIndexDescription::builder()
                    .index_name(&index.name)
                    .set_key_schema(Some(
                        key_schema(&index.hash_key, index.range_key.as_deref()).unwrap(),
                    ))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(index.projection.as_str()))
                            .build(),
                    )
                    .build(),
            );
        }
        if let Some(view) = &table.stream_view_type {
            builder = builder.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(view.as_str()))
                    .build()
                    .unwrap(),
            );
        }
        builder.build()
    }

    #[test]
    fn a_matching_table_has_no_differences() {
        let table = table();
        assert!(differences(&table, &description(&table)).is_empty());
    }

    #[test]
    fn differences_name_what_changed() {
        let expected = table();
        let mut other = table();
        other.range_key = None;
        other.global_indexes[0].name = "byH".into();
        other.stream_view_type = None;
        let found = differences(&expected, &description(&other));
        assert_eq!(
            found,
            [
                "key schema is pk, the template has pk/sk",
                "index byG is missing",
                "index byH is not in the template",
                "stream is off, the template has NEW_IMAGE",
            ]
        );
    }

    #[test]
    fn redrive_policy_json() {
        let queue = QueueDef {
            logical_id: "Q".into(),
            name: "q".into(),
            fifo: false,
            visibility_timeout_secs: 45,
            message_retention_secs: Some(600),
            redrive: Some(Redrive {
                dead_letter_queue: "Dlq".into(),
                max_receive_count: 4,
            }),
        };
        let settings = queue_settings(&queue, Some("arn:aws:sqs:us-east-1:1:dlq"));
        assert_eq!(
            settings[0],
            (QueueAttributeName::VisibilityTimeout, "45".into())
        );
        assert_eq!(
            settings[1],
            (QueueAttributeName::MessageRetentionPeriod, "600".into())
        );
        let (name, policy) = &settings[2];
        assert_eq!(name, &QueueAttributeName::RedrivePolicy);
        let policy: serde_json::Value = serde_json::from_str(policy).unwrap();
        assert_eq!(
            policy,
            serde_json::json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:dlq", "maxReceiveCount": 4})
        );
    }
}
