//! Evaluation: every operator against a value of every JSON type (and a
//! missing one), array-index paths, nesting, and the trace.

use super::*;
use serde_json::json;

fn condition(input: Value) -> Condition {
    Condition::parse(&input).unwrap()
}

/// An event whose `data` holds one field of each JSON type.
fn event() -> Value {
    json!({
        "id": "e-1",
        "type": "approval.approved",
        "entity": "approval",
        "entity_id": "a-1",
        "actor": {"id": "u-1", "role": "approver"},
        "occurred_at": "2026-05-01T10:00:00Z",
        "correlation_id": "c-1",
        "depth": 0,
        "data": {
            "n": 5,
            "s": "hello",
            "b": true,
            "z": null,
            "a": [1, "x", true, null],
            "o": {"k": 1},
            "due_at": "2026-05-01T10:00:00Z"
        },
        "changes": {"status": ["PENDING", "APPROVED"]}
    })
}

/// The fields of [`event`]'s data, in the order of the tables below; the
/// last is missing.
const SUBJECTS: [&str; 7] = ["n", "s", "b", "z", "a", "o", "missing"];

/// Checks `op operand` against each subject of [`SUBJECTS`].
fn check(op: &str, operand: Value, expected: [bool; 7]) {
    let event = event();
    for (field, expected) in SUBJECTS.into_iter().zip(expected) {
        let path = format!("data.{field}");
        let c = condition(json!({"path": path, "op": op, "value": operand}));
        let evaluation = c.evaluate(&event);
        assert_eq!(
            evaluation.matched, expected,
            "{path} {op} {operand} should be {expected}"
        );
    }
}

#[test]
fn eq_is_json_equality_with_numbers_by_value() {
    check(
        "eq",
        json!(5),
        [true, false, false, false, false, false, false],
    );
    check(
        "eq",
        json!(5.0),
        [true, false, false, false, false, false, false],
    );
    check("eq", json!("5"), [false; 7]);
    check(
        "eq",
        json!("hello"),
        [false, true, false, false, false, false, false],
    );
    check(
        "eq",
        json!(true),
        [false, false, true, false, false, false, false],
    );
    check(
        "eq",
        json!(null),
        [false, false, false, true, false, false, false],
    );
    check(
        "eq",
        json!([1.0, "x", true, null]),
        [false, false, false, false, true, false, false],
    );
    check("eq", json!([1, "x"]), [false; 7]);
    check(
        "eq",
        json!({"k": 1.0}),
        [false, false, false, false, false, true, false],
    );
    check("eq", json!({"k": 1, "j": 2}), [false; 7]);
}

#[test]
fn ne_is_the_negation_of_eq_even_when_missing() {
    check("ne", json!(5), [false, true, true, true, true, true, true]);
    check(
        "ne",
        json!("hello"),
        [true, false, true, true, true, true, true],
    );
    check(
        "ne",
        json!(true),
        [true, true, false, true, true, true, true],
    );
    check(
        "ne",
        json!(null),
        [true, true, true, false, true, true, true],
    );
    check(
        "ne",
        json!([1, "x", true, null]),
        [true, true, true, true, false, true, true],
    );
    check(
        "ne",
        json!({"k": 1}),
        [true, true, true, true, true, false, true],
    );
}

#[test]
fn ordering_compares_numbers_with_numbers() {
    check(
        "lt",
        json!(6),
        [true, false, false, false, false, false, false],
    );
    check("lt", json!(5), [false; 7]);
    check(
        "lte",
        json!(5),
        [true, false, false, false, false, false, false],
    );
    check("lte", json!(4.5), [false; 7]);
    check(
        "gt",
        json!(4.5),
        [true, false, false, false, false, false, false],
    );
    check("gt", json!(5), [false; 7]);
    check(
        "gte",
        json!(5),
        [true, false, false, false, false, false, false],
    );
    check(
        "gte",
        json!(-1),
        [true, false, false, false, false, false, false],
    );
}

#[test]
fn ordering_compares_strings_lexicographically() {
    check(
        "lt",
        json!("i"),
        [false, true, false, false, false, false, false],
    );
    check("lt", json!("hello"), [false; 7]);
    check(
        "lte",
        json!("hello"),
        [false, true, false, false, false, false, false],
    );
    check(
        "gt",
        json!("hell"),
        [false, true, false, false, false, false, false],
    );
    check("gt", json!("help"), [false; 7]);
    check(
        "gte",
        json!("hello"),
        [false, true, false, false, false, false, false],
    );
    // A number is never ordered against a string, whatever its digits.
    check(
        "gt",
        json!("4"),
        [false, true, false, false, false, false, false],
    );
    check("lt", json!("6"), [false; 7]);
}

#[test]
fn timestamps_order_chronologically_as_strings() {
    let c = condition(json!({"path": "data.due_at", "op": "lt", "value": "2026-05-01T10:00:01Z"}));
    assert!(c.evaluate(&event()).matched);
    let c = condition(json!({"path": "data.due_at", "op": "gte", "value": "2026-12-01T00:00:00Z"}));
    assert!(!c.evaluate(&event()).matched);
}

#[test]
fn integers_compare_exactly_at_any_size() {
    let event = json!({"data": {"big": u64::MAX, "neg": i64::MIN, "f": 0.5}});
    let holds = |path: &str, op: &str, value: Value| {
        condition(json!({"path": path, "op": op, "value": value}))
            .evaluate(&event)
            .matched
    };
    assert!(holds("data.big", "gt", json!(u64::MAX - 1)));
    assert!(!holds("data.big", "eq", json!(u64::MAX - 1)));
    assert!(holds("data.big", "gt", json!(-1)));
    assert!(holds("data.neg", "lt", json!(i64::MIN + 1)));
    assert!(holds("data.neg", "lt", json!(u64::MAX)));
    assert!(holds("data.f", "gt", json!(0)));
    assert!(holds("data.f", "lt", json!(1)));
}

#[test]
fn in_is_membership_by_equality() {
    check(
        "in",
        json!([5, "hello"]),
        [true, true, false, false, false, false, false],
    );
    check(
        "in",
        json!([5.0]),
        [true, false, false, false, false, false, false],
    );
    check(
        "in",
        json!([false, true]),
        [false, false, true, false, false, false, false],
    );
    check(
        "in",
        json!([null]),
        [false, false, false, true, false, false, false],
    );
    check(
        "in",
        json!([[1, "x", true, null]]),
        [false, false, false, false, true, false, false],
    );
    check(
        "in",
        json!([{"k": 1}]),
        [false, false, false, false, false, true, false],
    );
    check("in", json!(["5", 6]), [false; 7]);
}

#[test]
fn contains_finds_substrings_and_array_elements() {
    check(
        "contains",
        json!("ell"),
        [false, true, false, false, false, false, false],
    );
    check(
        "contains",
        json!(""),
        [false, true, false, false, false, false, false],
    );
    check(
        "contains",
        json!("x"),
        [false, false, false, false, true, false, false],
    );
    check(
        "contains",
        json!(1),
        [false, false, false, false, true, false, false],
    );
    check(
        "contains",
        json!(1.0),
        [false, false, false, false, true, false, false],
    );
    check(
        "contains",
        json!(true),
        [false, false, false, false, true, false, false],
    );
    check(
        "contains",
        json!(null),
        [false, false, false, false, true, false, false],
    );
    check("contains", json!(2), [false; 7]);
    check("contains", json!("k"), [false; 7]);
}

#[test]
fn starts_with_applies_to_strings_only() {
    check(
        "starts_with",
        json!("he"),
        [false, true, false, false, false, false, false],
    );
    check(
        "starts_with",
        json!(""),
        [false, true, false, false, false, false, false],
    );
    check("starts_with", json!("lo"), [false; 7]);
    check("starts_with", json!("1"), [false; 7]);
}

#[test]
fn exists_counts_null_as_present() {
    check(
        "exists",
        json!(true),
        [true, true, true, true, true, true, false],
    );
    check(
        "exists",
        json!(false),
        [false, false, false, false, false, false, true],
    );
}

// Paths into envelopes, combined conditions and their traces.
#[path = "evaluate_trace_tests.rs"]
mod traces;
