//! The template's DynamoDB tables on DynamoDB Local: created on demand
//! with their keys, indexes, stream and TTL, kept when they already match,
//! and refused (with the differences named) when they do not; deleting
//! waits until the table is gone.
//!
//! Invariant: an existing table is never changed or emptied unless a reset
//! is asked for.

use super::{sdk_error, POLL, TABLE_WAIT};
use crate::template::{IndexDef, TableDef};
use anyhow::{anyhow, bail, Result};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TableDescription,
    TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use std::collections::BTreeMap;

/// Makes sure the table exists as the template describes it; returns its
/// stream ARN.
pub(super) async fn ensure_table(
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

pub(super) async fn describe_table(
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

pub(super) async fn delete_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<()> {
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

pub(super) fn key_schema(hash: &str, range: Option<&str>) -> Result<Vec<KeySchemaElement>> {
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

/// The table's attribute definitions, as `CreateTable` takes them.
pub(super) fn attribute_definitions(table: &TableDef) -> Result<Vec<AttributeDefinition>> {
    let mut definitions = Vec::new();
    for (name, kind) in &table.attributes {
        definitions.push(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()?,
        );
    }
    Ok(definitions)
}

/// An enabled stream of this view type.
pub(super) fn stream_specification(view: &str) -> Result<StreamSpecification> {
    Ok(StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::from(view))
        .build()?)
}

async fn create_table(client: &aws_sdk_dynamodb::Client, table: &TableDef) -> Result<()> {
    let request = client
        .create_table()
        .table_name(&table.name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(
            &table.hash_key,
            table.range_key.as_deref(),
        )?));
    let mut request = request.set_attribute_definitions(Some(attribute_definitions(table)?));
    for index in &table.global_indexes {
        request = request.global_secondary_indexes(global_index(index)?);
    }
    if let Some(view) = &table.stream_view_type {
        request = request.stream_specification(stream_specification(view)?);
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
pub(super) fn differences(table: &TableDef, existing: &TableDescription) -> Vec<String> {
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
