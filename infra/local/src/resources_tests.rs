//! Resource drift: how a described table or queue differs from the
//! template; and how a bucket is asked for in each region.
//!
//! Invariant: each test describes a table as DynamoDB would and asserts
//! the differences a user is shown.

use super::buckets::bucket_configuration;
use super::queues::queue_settings;
use super::tables::{attribute_definitions, differences, key_schema, stream_specification};
use crate::template::Redrive;
use crate::template::{IndexDef, QueueDef, TableDef};
use aws_sdk_dynamodb::types::*;
use aws_sdk_sqs::types::QueueAttributeName;

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
    builder = builder.set_attribute_definitions(Some(attribute_definitions(table).unwrap()));
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
        builder = builder.stream_specification(stream_specification(view).unwrap());
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

#[test]
fn buckets_name_their_region_except_in_us_east_1() {
    assert_eq!(bucket_configuration("us-east-1"), None);
    let configuration = bucket_configuration("eu-west-1").expect("a configuration");
    assert_eq!(
        configuration.location_constraint().map(|c| c.as_str()),
        Some("eu-west-1")
    );
}
