//! Evaluation: every operator against a value of every JSON type (and a
//! missing one), array-index paths, nesting, and the trace.

use super::*;
use serde_json::json;

fn condition(input: Value) -> Condition {
    Condition::parse(&input).unwrap()
}

/// An event whose `data` holds one field of each JSON type.
fn event() -> Value {
    super::super::test_envelope(json!({
        "n": 5,
        "s": "hello",
        "b": true,
        "z": null,
        "a": [1, "x", true, null],
        "o": {"k": 1},
        "due_at": "2026-05-01T10:00:00Z"
    }))
}

/// The fields of [`event`]'s data, in the order of the tables below; the
/// last is missing.
const SUBJECTS: [&str; 7] = ["n", "s", "b", "z", "a", "o", "missing"];

/// Checks each case `(op, operand, holds_for)` against every subject of
/// [`SUBJECTS`]: the condition holds for exactly the subjects `holds_for`
/// names (separated by spaces).
fn check(cases: &[(&str, Value, &str)]) {
    let event = event();
    for (op, operand, holds_for) in cases {
        for field in SUBJECTS {
            let expected = holds_for.split_whitespace().any(|f| f == field);
            let path = format!("data.{field}");
            let c = condition(json!({"path": path, "op": op, "value": operand}));
            let evaluation = c.evaluate(&event);
            assert_eq!(
                evaluation.matched, expected,
                "{path} {op} {operand} should be {expected}"
            );
        }
    }
}

#[test]
fn eq_is_json_equality_with_numbers_by_value() {
    check(&[
        ("eq", json!(5), "n"),
        ("eq", json!(5.0), "n"),
        ("eq", json!("5"), ""),
        ("eq", json!("hello"), "s"),
        ("eq", json!(true), "b"),
        ("eq", json!(null), "z"),
        ("eq", json!([1.0, "x", true, null]), "a"),
        ("eq", json!([1, "x"]), ""),
        ("eq", json!({"k": 1.0}), "o"),
        ("eq", json!({"k": 1, "j": 2}), ""),
    ]);
}

#[test]
fn ne_is_the_negation_of_eq_even_when_missing() {
    check(&[
        ("ne", json!(5), "s b z a o missing"),
        ("ne", json!("hello"), "n b z a o missing"),
        ("ne", json!(true), "n s z a o missing"),
        ("ne", json!(null), "n s b a o missing"),
        ("ne", json!([1, "x", true, null]), "n s b z o missing"),
        ("ne", json!({"k": 1}), "n s b z a missing"),
    ]);
}

#[test]
fn ordering_compares_numbers_with_numbers() {
    check(&[
        ("lt", json!(6), "n"),
        ("lt", json!(5), ""),
        ("lte", json!(5), "n"),
        ("lte", json!(4.5), ""),
        ("gt", json!(4.5), "n"),
        ("gt", json!(5), ""),
        ("gte", json!(5), "n"),
        ("gte", json!(-1), "n"),
    ]);
}

#[test]
fn ordering_compares_strings_lexicographically() {
    check(&[
        ("lt", json!("i"), "s"),
        ("lt", json!("hello"), ""),
        ("lte", json!("hello"), "s"),
        ("gt", json!("hell"), "s"),
        ("gt", json!("help"), ""),
        ("gte", json!("hello"), "s"),
        // A number is never ordered against a string, whatever its digits.
        ("gt", json!("4"), "s"),
        ("lt", json!("6"), ""),
    ]);
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
    check(&[
        ("in", json!([5, "hello"]), "n s"),
        ("in", json!([5.0]), "n"),
        ("in", json!([false, true]), "b"),
        ("in", json!([null]), "z"),
        ("in", json!([[1, "x", true, null]]), "a"),
        ("in", json!([{"k": 1}]), "o"),
        ("in", json!(["5", 6]), ""),
    ]);
}

#[test]
fn contains_finds_substrings_and_array_elements() {
    check(&[
        ("contains", json!("ell"), "s"),
        ("contains", json!(""), "s"),
        ("contains", json!("x"), "a"),
        ("contains", json!(1), "a"),
        ("contains", json!(1.0), "a"),
        ("contains", json!(true), "a"),
        ("contains", json!(null), "a"),
        ("contains", json!(2), ""),
        ("contains", json!("k"), ""),
    ]);
}

#[test]
fn starts_with_applies_to_strings_only() {
    check(&[
        ("starts_with", json!("he"), "s"),
        ("starts_with", json!(""), "s"),
        ("starts_with", json!("lo"), ""),
        ("starts_with", json!("1"), ""),
    ]);
}

#[test]
fn exists_counts_null_as_present() {
    check(&[
        ("exists", json!(true), "n s b z a o"),
        ("exists", json!(false), "missing"),
    ]);
}

// Paths into envelopes, combined conditions and their traces.
#[path = "evaluate_trace_tests.rs"]
mod traces;
