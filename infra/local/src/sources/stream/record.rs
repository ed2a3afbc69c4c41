//! Stream records as Lambda delivers them: `aws:dynamodb` event records
//! with their images in DynamoDB JSON (`{"S": "x"}`).

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// DynamoDB JSON (`{"S": "x"}`) of an attribute value, as Lambda sends it.
pub fn attribute_json(value: &AttributeValue) -> Value {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b.as_ref()) }),
        AttributeValue::Ss(list) => json!({ "SS": list }),
        AttributeValue::Ns(list) => json!({ "NS": list }),
        AttributeValue::Bs(list) => {
            json!({ "BS": list.iter().map(|b| b64(b.as_ref())).collect::<Vec<_>>() })
        }
        AttributeValue::M(map) => json!({ "M": item_json(map) }),
        AttributeValue::L(list) => {
            json!({ "L": list.iter().map(attribute_json).collect::<Vec<_>>() })
        }
        AttributeValue::Null(is_null) => json!({ "NULL": is_null }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        _ => Value::Null,
    }
}

pub fn item_json(item: &HashMap<String, AttributeValue>) -> Map<String, Value> {
    item.iter()
        .map(|(k, v)| (k.clone(), attribute_json(v)))
        .collect()
}

/// The Lambda event record of one stream record.
pub fn record_json(record: &Record, stream_arn: &str, region: &str) -> Value {
    let mut dynamodb = Map::new();
    if let Some(stream) = record.dynamodb() {
        if let Some(at) = stream.approximate_creation_date_time() {
            dynamodb.insert("ApproximateCreationDateTime".into(), json!(at.secs()));
        }
        if let Some(keys) = stream.keys() {
            dynamodb.insert("Keys".into(), Value::Object(item_json(keys)));
        }
        if let Some(image) = stream.new_image() {
            dynamodb.insert("NewImage".into(), Value::Object(item_json(image)));
        }
        if let Some(image) = stream.old_image() {
            dynamodb.insert("OldImage".into(), Value::Object(item_json(image)));
        }
        if let Some(sequence) = stream.sequence_number() {
            dynamodb.insert("SequenceNumber".into(), json!(sequence));
        }
        if let Some(size) = stream.size_bytes() {
            dynamodb.insert("SizeBytes".into(), json!(size));
        }
        if let Some(view) = stream.stream_view_type() {
            dynamodb.insert("StreamViewType".into(), json!(view.as_str()));
        }
    }
    json!({
        "eventID": record.event_id(),
        "eventName": record.event_name().map(|n| n.as_str()),
        "eventVersion": record.event_version().unwrap_or("1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    })
}
