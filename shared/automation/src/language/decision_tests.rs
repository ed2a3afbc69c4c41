use super::*;

fn conditions(input: Value) -> Vec<DecisionCondition> {
    parse_conditions(&input).unwrap_or_else(|p| panic!("{p:?}"))
}

fn request() -> Value {
    json!({
        "request_id": "REQ-1",
        "workflow_type": "HIGH_VALUE_TRANSACTION",
        "transaction": {"value": 25000, "currency": "EUR"},
        "risk_score": 0.42,
        "priority": "HIGH",
    })
}

#[test]
fn every_condition_holding_passes() {
    let rule = conditions(json!([
        {"field": "transaction.value", "operator": "gt", "value": 10000},
        {"field": "risk_score", "operator": "lte", "value": 0.5},
        {"field": "priority", "operator": "neq", "value": "LOW"},
        {"field": "transaction.currency", "operator": "in", "value": ["EUR", "USD"]},
    ]));
    assert_eq!(decide(&rule, &request()).0, Verdict::Passed);
    assert_eq!(Verdict::Passed.reason(), "RULE_PASSED");
    assert_eq!(decide(&[], &request()).0, Verdict::Passed);
}

#[test]
fn the_first_missing_or_failing_field_is_named_in_order() {
    let rule = conditions(json!([
        {"field": "transaction.value", "operator": "gte", "value": 30000},
        {"field": "source_system", "operator": "eq", "value": "SAP"},
    ]));
    let (verdict, evaluation) = decide(&rule, &request());
    assert_eq!(verdict, Verdict::Failed("transaction.value".into()));
    assert_eq!(verdict.reason(), "RULE_FAILED:transaction.value");
    assert!(!evaluation.matched);
    let mut sent = request();
    sent["transaction"]["value"] = json!(30000);
    let verdict = decide(&rule, &sent).0;
    assert_eq!(verdict.reason(), "MISSING_FIELD:source_system");
    // A missing field is missing for every operator but exists, even ne.
    let ne = conditions(json!([{"field": "source_system", "operator": "ne", "value": "x"}]));
    assert_eq!(
        decide(&ne, &request()).0.reason(),
        "MISSING_FIELD:source_system"
    );
    let absent =
        conditions(json!([{"field": "source_system", "operator": "exists", "value": false}]));
    assert_eq!(decide(&absent, &request()).0, Verdict::Passed);
}

#[test]
fn neq_is_the_languages_ne() {
    let neq = conditions(json!([{"field": "priority", "operator": "NEQ", "value": "HIGH"}]));
    let ne = conditions(json!([{"field": "priority", "operator": "ne", "value": "HIGH"}]));
    assert_eq!(neq[0].operator, "neq");
    assert_eq!(neq[0].leaf, ne[0].leaf);
    assert_eq!(decide(&neq, &request()).0.reason(), "RULE_FAILED:priority");
}

#[test]
fn bad_conditions_are_named_by_their_place() {
    let problems = parse_conditions(&json!([
        {"field": "risk_score", "operator": "greater", "value": 1},
        {"operator": "eq", "value": 1},
        {"field": "risk_score", "operator": "gt", "value": [1]},
        {"field": "data.x", "operator": "eq", "value": 1},
        {"field": "risk_score", "operator": "eq"},
        {"field": "a", "operator": "eq", "value": 1, "op": "x"},
        "risk_score > 1",
    ]))
    .unwrap_err();
    let places: Vec<&str> = problems.iter().map(|(at, _)| at.as_str()).collect();
    assert_eq!(
        places,
        [
            "conditions[0].operator",
            "conditions[1].field",
            "conditions[2].value",
            "conditions[3].field",
            "conditions[4].value",
            "conditions[5].op",
            "conditions[6]",
        ]
    );
    assert!(parse_conditions(&json!({"field": "x"})).is_err());
    let many: Vec<Value> = (0..=MAX_CONDITIONS)
        .map(|_| json!({"field": "a", "operator": "eq", "value": 1}))
        .collect();
    assert!(parse_conditions(&Value::Array(many)).is_err());
}
