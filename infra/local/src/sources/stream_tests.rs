//! The stream mapping's pure parts: where a failed batch is retried
//! from, and attribute values as Lambda sends them.

use super::*;
use aws_sdk_dynamodbstreams::types::AttributeValue;

fn batch(sequences: &[&str]) -> Vec<Value> {
    sequences
        .iter()
        .map(|s| json!({"dynamodb": {"SequenceNumber": s}}))
        .collect()
}

#[test]
fn a_failed_invocation_retries_the_whole_batch() {
    assert_eq!(
        retry_from(&InvokeOutcome::Timeout, &batch(&["1"]), true),
        Some(0)
    );
}

#[test]
fn reported_failures_retry_from_the_earliest_failed_record() {
    let records = batch(&["1", "2", "3"]);
    let body = json!({"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]});
    let outcome = InvokeOutcome::Success(body.to_string().into_bytes());
    assert_eq!(retry_from(&outcome, &records, true), Some(1));
    let ok = InvokeOutcome::Success(b"{}".to_vec());
    assert_eq!(retry_from(&ok, &records, true), None);
    let unknown = json!({"batchItemFailures": [{"itemIdentifier": "9"}]});
    let outcome = InvokeOutcome::Success(unknown.to_string().into_bytes());
    assert_eq!(retry_from(&outcome, &records, true), Some(0));
}

#[test]
fn attribute_values_become_dynamodb_json() {
    let item = HashMap::from([
        ("s".to_owned(), AttributeValue::S("x".into())),
        ("n".to_owned(), AttributeValue::N("1".into())),
        (
            "m".to_owned(),
            AttributeValue::M(HashMap::from([(
                "b".to_owned(),
                AttributeValue::Bool(true),
            )])),
        ),
        (
            "l".to_owned(),
            AttributeValue::L(vec![AttributeValue::Null(true)]),
        ),
    ]);
    let json = Value::Object(item_json(&item));
    assert_eq!(
        json,
        json!({"s": {"S": "x"}, "n": {"N": "1"}, "m": {"M": {"b": {"BOOL": true}}}, "l": {"L": [{"NULL": true}]}})
    );
}
