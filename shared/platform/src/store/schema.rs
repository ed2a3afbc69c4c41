//! The tables' definitions, for creating them where CloudFormation does
//! not: tests (one table per test). They must match `MainTable` and
//! `AuditTable` in `template.yaml`; a test in the local runtime checks that.

use super::StoreError;
use anyhow::Context;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

/// The TTL attribute (epoch seconds) of every expiring item.
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// The entity table's global secondary indexes and their (partition, sort)
/// key attributes.
pub const INDEXES: [(&str, &str, &str); 2] =
    [("gsi1", "gsi1pk", "gsi1sk"), ("gsi2", "gsi2pk", "gsi2sk")];
/// The audit table's indexes: by actor, by action, by entity type, by day,
/// by record id.
pub const AUDIT_INDEXES: [(&str, &str, &str); 5] = [
    ("gsi1", "gsi1pk", "gsi1sk"),
    ("gsi2", "gsi2pk", "gsi2sk"),
    ("gsi3", "gsi3pk", "gsi3sk"),
    ("gsi4", "gsi4pk", "gsi4sk"),
    ("gsi5", "gsi5pk", "gsi5sk"),
];

fn key(name: &str, key_type: KeyType) -> anyhow::Result<KeySchemaElement> {
    Ok(KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()?)
}

/// Creates the entity table (keys `pk`/`sk`, `gsi1`, `gsi2`, a NEW_IMAGE
/// stream, TTL on `expires_at`) and waits until it is active.
pub async fn create_entity_table(client: &Client, name: &str) -> Result<(), StoreError> {
    create(client, name, &INDEXES, true, true)
        .await
        .map_err(StoreError::Other)
}

/// The entity table without its stream, for tests that never read it.
/// DynamoDB Local makes every write to a table with a stream an order of
/// magnitude slower (about 24 ms against 2 ms a put on this machine),
/// which DynamoDB itself does not.
pub async fn create_entity_table_without_stream(
    client: &Client,
    name: &str,
) -> Result<(), StoreError> {
    create(client, name, &INDEXES, true, false)
        .await
        .map_err(StoreError::Other)
}

/// Creates the audit table (keys `pk`/`sk`, `gsi1`–`gsi5`, no stream, no
/// TTL: audit records are kept).
pub async fn create_audit_table(client: &Client, name: &str) -> Result<(), StoreError> {
    create(client, name, &AUDIT_INDEXES, false, false)
        .await
        .map_err(StoreError::Other)
}

async fn create(
    client: &Client,
    name: &str,
    indexes: &[(&str, &str, &str)],
    entity_table: bool,
    stream: bool,
) -> anyhow::Result<()> {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?);
    if stream {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()?,
        );
    }
    for attribute in ["pk", "sk"]
        .into_iter()
        .chain(indexes.iter().flat_map(|(_, pk, sk)| [*pk, *sk]))
    {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        );
    }
    for &(index, pk, sk) in indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index)
                .key_schema(key(pk, KeyType::Hash)?)
                .key_schema(key(sk, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()?,
        );
    }
    request
        .send()
        .await
        .with_context(|| format!("creating table {name}"))?;
    if !entity_table {
        return Ok(());
    }
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_ATTRIBUTE)
                .build()?,
        )
        .send()
        .await
        .with_context(|| format!("enabling TTL on {name}"))?;
    Ok(())
}

/// Deletes a table (test clean-up).
pub async fn delete_table(client: &Client, name: &str) -> Result<(), StoreError> {
    client
        .delete_table()
        .table_name(name)
        .send()
        .await
        .map(|_| ())
        .with_context(|| format!("deleting table {name}"))
        .map_err(StoreError::Other)
}
