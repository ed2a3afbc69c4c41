//! Property tests of the rule language over generated events, conditions,
//! triggers and actions: parsing and evaluation are total, and the logical
//! laws (`not`, `ne`, `all`, `any`) hold on every event.

use super::condition::{Condition, Operator};
use super::evaluate::compare;
use super::{Action, FieldPath, RuleInput, RuleSpec, Trigger};
use proptest::prelude::*;
use serde_json::{json, Map, Number, Value};

/// Keys shared by generated events and generated paths, so that paths
/// often find something.
const KEYS: [&str; 8] = ["amount", "status", "tags", "0", "1", "id", "role", "a"];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS.as_slice()).prop_map(str::to_owned),
        1 => "[a-z]{1,3}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-5i64..5).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        (-50i32..50).prop_map(|n| json!(f64::from(n) / 4.0)),
    ]
}

fn string() -> impl Strategy<Value = Value> {
    prop_oneof![
        proptest::sample::select(["", "a", "ab", "PENDING", "APPROVED", "é", "0"].as_slice())
            .prop_map(Value::from),
        ".{0,6}".prop_map(Value::from),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        string(),
    ]
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An object whose members often have the keys paths look for.
fn object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), json_value(), 1..6)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// An event: either any JSON at all, or an envelope whose fields hold
/// values of any type.
fn event() -> impl Strategy<Value = Value> {
    let envelope = (
        prop_oneof![string(), json_value()],
        prop_oneof![string(), json_value()],
        prop_oneof![Just(json!({"id": "u-1", "role": "admin"})), json_value()],
        prop_oneof![(0u32..4).prop_map(Value::from), json_value()],
        prop_oneof![3 => object(), 1 => json_value()],
        prop::collection::btree_map(
            key(),
            prop_oneof![
                (json_value(), json_value()).prop_map(|(a, b)| json!([a, b])),
                json_value()
            ],
            0..4,
        ),
    )
        .prop_map(|(event_type, entity, actor, depth, data, changes)| {
            json!({
                "type": event_type, "entity": entity, "entity_id": "x", "actor": actor,
                "depth": depth, "data": data,
                "changes": Value::Object(changes.into_iter().collect()),
            })
        });
    prop_oneof![3 => envelope, 1 => json_value()]
}

fn path() -> impl Strategy<Value = String> {
    let segments = || prop::collection::vec(key(), 0..4);
    prop_oneof![
        6 => segments().prop_map(|s| ["data".to_owned()].into_iter().chain(s).collect::<Vec<_>>().join(".")),
        2 => (key(), prop_oneof![Just("0"), Just("1")], segments())
            .prop_map(|(field, side, rest)| {
                let mut parts = vec!["changes".to_owned(), field, side.to_owned()];
                parts.extend(rest);
                parts.join(".")
            }),
        1 => key().prop_map(|field| format!("changes.{field}")),
        2 => proptest::sample::select(
            ["type", "entity", "entity_id", "depth", "actor.id", "actor.role", "data", "changes", "actor"]
                .as_slice()
        ).prop_map(str::to_owned),
    ]
}

fn operand(op: Operator) -> BoxedStrategy<Value> {
    match op {
        Operator::Eq | Operator::Ne => json_value().boxed(),
        Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte => {
            prop_oneof![number(), string()].boxed()
        }
        Operator::In => prop::collection::vec(scalar(), 1..5)
            .prop_map(Value::Array)
            .boxed(),
        Operator::Contains => scalar().boxed(),
        Operator::StartsWith => string().boxed(),
        Operator::Exists => any::<bool>().prop_map(Value::Bool).boxed(),
    }
}

/// A leaf as JSON, valid for its path (leaves that the path's known type
/// refuses are filtered out).
fn leaf() -> impl Strategy<Value = Value> {
    (path(), proptest::sample::select(Operator::ALL.as_slice()))
        .prop_flat_map(|(path, op)| {
            operand(op)
                .prop_map(move |value| json!({"path": path, "op": op.as_str(), "value": value}))
        })
        .prop_filter("the path's type refuses it", |leaf| {
            Condition::parse(leaf).is_ok()
        })
}

/// A valid condition as JSON: at most 4 levels, 1 to 4 items per list.
fn condition_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(|c| json!({ "all": c })),
            prop::collection::vec(inner.clone(), 1..4).prop_map(|c| json!({ "any": c })),
            inner.prop_map(|c| json!({ "not": c })),
        ]
    })
}

fn condition() -> impl Strategy<Value = (Value, Condition)> {
    condition_json().prop_map(|input| {
        let parsed = Condition::parse(&input).expect("generated conditions are valid");
        (input, parsed)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn evaluation_is_total_and_traces_every_leaf((_, c) in condition(), event in event()) {
        let evaluation = c.evaluate(&event);
        prop_assert_eq!(evaluation.trace.result(), evaluation.matched);
        prop_assert_eq!(evaluation.trace.leaves().len(), c.leaf_count());
        let serialised = serde_json::to_value(&evaluation).expect("a trace serialises");
        prop_assert_eq!(&serialised["trace"]["at"], &json!("conditions"));
    }

    #[test]
    fn not_negates((input, c) in condition(), event in event()) {
        let negated = Condition::parse(&json!({ "not": input })).expect("one level more is valid");
        prop_assert_eq!(negated.evaluate(&event).matched, !c.evaluate(&event).matched);
    }

    #[test]
    fn all_and_any_are_conjunction_and_disjunction(
        parts in prop::collection::vec(condition(), 1..4),
        event in event(),
    ) {
        let inputs: Vec<Value> = parts.iter().map(|(input, _)| input.clone()).collect();
        let results: Vec<bool> = parts.iter().map(|(_, c)| c.evaluate(&event).matched).collect();
        let all = Condition::parse(&json!({ "all": inputs })).expect("valid");
        let any = Condition::parse(&json!({ "any": inputs })).expect("valid");
        prop_assert_eq!(all.evaluate(&event).matched, results.iter().all(|r| *r));
        prop_assert_eq!(any.evaluate(&event).matched, results.iter().any(|r| *r));
    }

    #[test]
    fn ne_is_not_eq_on_every_value(actual in prop::option::of(json_value()), operand in json_value()) {
        prop_assert_eq!(
            compare(Operator::Ne, actual.as_ref(), &operand),
            !compare(Operator::Eq, actual.as_ref(), &operand)
        );
    }

    #[test]
    fn a_missing_value_fails_every_operator_but_exists_false_and_ne(
        op in proptest::sample::select(Operator::ALL.as_slice()),
        operand in json_value(),
    ) {
        let expected = match op {
            Operator::Ne => true,
            Operator::Exists => operand == json!(false),
            _ => false,
        };
        let operand = if op == Operator::Exists && !operand.is_boolean() { json!(true) } else { operand };
        prop_assert_eq!(compare(op, None, &operand), expected);
    }

    #[test]
    fn every_value_equals_itself(value in json_value()) {
        prop_assert!(compare(Operator::Eq, Some(&value), &value));
        prop_assert!(compare(Operator::In, Some(&value), &json!([value])));
    }

    #[test]
    fn conditions_round_trip_through_their_stored_form((_, c) in condition()) {
        let stored = serde_json::to_value(&c).expect("serialises");
        let back: Condition = serde_json::from_value(stored).expect("reads back");
        prop_assert_eq!(back, c);
    }

    #[test]
    fn parsing_any_json_as_conditions_is_total(input in json_value()) {
        if let Err(problems) = Condition::parse(&input) {
            prop_assert!(!problems.is_empty());
            prop_assert!(problems.iter().all(|(at, _)| at.starts_with("conditions")));
        }
    }

    #[test]
    fn paths_parse_or_explain_and_resolve_on_any_event(text in ".{0,20}", event in event()) {
        match FieldPath::parse(&text) {
            Ok(path) => { let _ = path.resolve(&event); }
            Err(message) => prop_assert!(!message.is_empty()),
        }
    }

    #[test]
    fn a_trigger_with_stars_for_some_segments_matches_the_type(
        segments in prop::collection::vec("[a-z][a-z0-9_]{0,5}", 1..5),
        stars in prop::collection::vec(any::<bool>(), 5),
        other in "[a-z]{1,5}",
    ) {
        let event_type = segments.join(".");
        let pattern: Vec<&str> = segments
            .iter()
            .zip(&stars)
            .map(|(s, star)| if *star { "*" } else { s.as_str() })
            .collect();
        let trigger = Trigger::parse(&pattern.join(".")).expect("a valid pattern");
        prop_assert!(trigger.matches(&event_type));
        if trigger.as_str() != "*" {
            let longer = format!("{event_type}.{other}");
            prop_assert!(!trigger.matches(&longer));
        }
        prop_assert!(Trigger::parse("*").expect("valid").matches(&event_type));
    }

    #[test]
    fn triggers_parse_and_match_any_text(pattern in ".{0,12}", event_type in ".{0,12}") {
        if let Ok(trigger) = Trigger::parse(&pattern) {
            let _ = trigger.matches(&event_type);
        }
    }

    #[test]
    fn parsing_any_json_as_actions_is_total(inputs in prop::collection::vec(json_value(), 0..12)) {
        if let Err(problems) = Action::parse_list(&inputs) {
            prop_assert!(problems.iter().all(|(at, _)| at.starts_with("actions")));
        }
    }

    #[test]
    fn a_parsed_rule_evaluates_on_any_event((input, _) in condition(), event in event()) {
        let rule: RuleInput = serde_json::from_value(json!({
            "name": "generated", "trigger": "*", "conditions": input,
            "actions": [{"type": "log", "message": "matched"}]
        })).expect("a well-formed rule");
        let rule = RuleSpec::parse(rule).expect("a valid rule");
        let _ = rule.evaluate(&event);
    }
}
