//! Conditions over whole envelopes: paths into changes and envelope
//! fields, conditions combined with all/any/not, and the trace every
//! evaluation leaves.

use super::*;
use serde_json::json;

#[test]
fn array_index_paths_reach_the_before_and_after_of_a_change() {
    let event = event();
    let became_approved =
        condition(json!({"path": "changes.status.1", "op": "eq", "value": "APPROVED"}));
    assert!(became_approved.evaluate(&event).matched);
    let was_pending =
        condition(json!({"path": "changes.status.0", "op": "eq", "value": "PENDING"}));
    assert!(was_pending.evaluate(&event).matched);
    let second = condition(json!({"path": "data.a.1", "op": "eq", "value": "x"}));
    assert!(second.evaluate(&event).matched);
    let past_the_end = condition(json!({"path": "data.a.9", "op": "exists"}));
    assert!(!past_the_end.evaluate(&event).matched);
}

#[test]
fn envelope_fields_are_compared_like_data() {
    let event = event();
    for input in [
        json!({"path": "type", "op": "starts_with", "value": "approval."}),
        json!({"path": "entity", "op": "eq", "value": "approval"}),
        json!({"path": "entity_id", "op": "in", "value": ["a-1", "a-2"]}),
        json!({"path": "actor.role", "op": "ne", "value": "admin"}),
        json!({"path": "depth", "op": "lt", "value": 3}),
        json!({"path": "changes.status", "op": "contains", "value": "APPROVED"}),
    ] {
        assert!(condition(input.clone()).evaluate(&event).matched, "{input}");
    }
}

#[test]
fn nested_conditions_combine_and_trace_every_leaf() {
    let c = condition(json!({"all": [
        {"path": "data.n", "op": "lt", "value": 100},
        {"any": [
            {"path": "actor.role", "op": "eq", "value": "admin"},
            {"not": {"path": "data.missing", "op": "exists"}}
        ]},
        {"path": "data.s", "op": "eq", "value": "bye"}
    ]}));
    let evaluation = c.evaluate(&event());
    assert!(!evaluation.matched);
    let leaves = evaluation.trace.leaves();
    let summary: Vec<(&str, bool)> = leaves.iter().map(|l| (l.at.as_str(), l.result)).collect();
    assert_eq!(
        summary,
        vec![
            ("conditions.all[0]", true),
            ("conditions.all[1].any[0]", false),
            ("conditions.all[1].any[1].not", false),
            ("conditions.all[2]", false),
        ]
    );
    let Trace::All { conditions, .. } = &evaluation.trace else {
        panic!("an all trace was expected");
    };
    assert!(conditions[1].result(), "the any holds through its not");
}

#[test]
fn a_trace_serialises_with_the_found_value_and_its_type() {
    let c = condition(json!({"all": [
        {"path": "data.n", "op": "lt", "value": 3},
        {"path": "data.team", "op": "exists"}
    ]}));
    let trace = serde_json::to_value(c.evaluate(&event())).unwrap();
    assert_eq!(
        trace,
        json!({"matched": false, "trace": {"kind": "all", "at": "conditions", "result": false, "conditions": [
            {"kind": "leaf", "at": "conditions.all[0]", "path": "data.n", "op": "lt", "value": 3,
             "found": true, "actual_type": "number", "actual": 5, "result": false},
            {"kind": "leaf", "at": "conditions.all[1]", "path": "data.team", "op": "exists", "value": true,
             "found": false, "result": false}
        ]}})
    );
}

#[test]
fn a_not_trace_holds_its_inner_trace() {
    let c = condition(json!({"not": {"path": "data.z", "op": "eq", "value": null}}));
    let trace = serde_json::to_value(c.evaluate(&event()).trace).unwrap();
    assert_eq!(trace["kind"], "not");
    assert_eq!(trace["result"], false);
    assert_eq!(trace["condition"]["at"], "conditions.not");
    assert_eq!(trace["condition"]["actual_type"], "null");
    assert_eq!(trace["condition"]["actual"], Value::Null);
    assert_eq!(trace["condition"]["result"], true);
}

#[test]
fn large_found_values_are_left_out_of_the_trace() {
    let event = json!({"data": {"blob": "x".repeat(MAX_TRACED_VALUE_BYTES)}});
    let c = condition(json!({"path": "data.blob", "op": "starts_with", "value": "x"}));
    let evaluation = c.evaluate(&event);
    assert!(evaluation.matched);
    let leaf = evaluation.trace.leaves()[0].clone();
    assert!(leaf.found && leaf.truncated);
    assert_eq!(leaf.actual, None);
    assert_eq!(leaf.actual_type, Some("string"));
    let json = serde_json::to_value(&leaf).unwrap();
    assert_eq!(json["truncated"], true);
    assert!(json.get("actual").is_none());
}

#[test]
fn empty_lists_built_in_code_follow_logic() {
    // The parser refuses empty lists; evaluation still defines them.
    assert!(Condition::All(vec![]).evaluate(&event()).matched);
    assert!(!Condition::Any(vec![]).evaluate(&event()).matched);
}

#[test]
fn any_json_is_a_valid_event() {
    let c = condition(json!({"any": [
        {"path": "data.n", "op": "exists", "value": false},
        {"path": "type", "op": "ne", "value": "x"}
    ]}));
    for event in [
        json!(null),
        json!(0),
        json!("s"),
        json!([]),
        json!({"data": 1}),
    ] {
        assert!(c.evaluate(&event).matched, "{event}");
    }
}
