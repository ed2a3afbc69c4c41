//! Write-time checks of the condition language: every operator with every
//! operand type, typed envelope paths, shapes, limits and error paths.

use super::*;
use serde_json::json;

fn problems(input: Value) -> Problems {
    Condition::parse(&input).unwrap_err()
}

fn only_problem(input: Value) -> (String, String) {
    let mut found = problems(input);
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

fn leaf(path: &str, op: &str, value: Value) -> Value {
    json!({"path": path, "op": op, "value": value})
}

/// One operand of each JSON type, in the order of the tables below:
/// number, string, boolean, null, array, object.
fn operands() -> [Value; 6] {
    [
        json!(5),
        json!("x"),
        json!(true),
        json!(null),
        json!([1, "x"]),
        json!({"k": 1}),
    ]
}

#[test]
fn every_operator_accepts_exactly_its_operand_types() {
    let table: [(&str, [bool; 6]); 10] = [
        ("eq", [true, true, true, true, true, true]),
        ("ne", [true, true, true, true, true, true]),
        ("lt", [true, true, false, false, false, false]),
        ("lte", [true, true, false, false, false, false]),
        ("gt", [true, true, false, false, false, false]),
        ("gte", [true, true, false, false, false, false]),
        ("in", [false, false, false, false, true, false]),
        ("contains", [true, true, true, true, false, false]),
        ("starts_with", [false, true, false, false, false, false]),
        ("exists", [false, false, true, false, false, false]),
    ];
    for (op, accepted) in table {
        for (operand, accepts) in operands().into_iter().zip(accepted) {
            let result = Condition::parse(&leaf("data.field", op, operand.clone()));
            match result {
                Ok(_) => assert!(accepts, "{op} {operand} was accepted"),
                Err(found) => {
                    assert!(!accepts, "{op} {operand} was refused: {found:?}");
                    assert_eq!(found.len(), 1, "{found:?}");
                    assert_eq!(found[0].0, "conditions.value", "{op} {operand}");
                }
            }
        }
    }
}

#[test]
fn a_refused_operand_is_explained() {
    let (_, message) = only_problem(leaf("data.amount", "lt", json!([1, 2])));
    assert_eq!(message, "must be a number or a string for lt, not an array");
    let (_, message) = only_problem(leaf("data.status", "in", json!("PENDING")));
    assert!(
        message.contains("must be an array of values for in"),
        "{message}"
    );
    let (_, message) = only_problem(leaf("data.title", "starts_with", json!(5)));
    assert_eq!(message, "must be a string for starts_with, not a number");
}

#[test]
fn every_operator_but_exists_requires_an_operand() {
    for op in Operator::ALL {
        let result = Condition::parse(&json!({"path": "data.x", "op": op.as_str()}));
        if op == Operator::Exists {
            let Condition::Leaf(leaf) = result.unwrap() else {
                panic!("a leaf was expected");
            };
            assert_eq!(leaf.value(), &json!(true));
        } else {
            let found = result.unwrap_err();
            assert_eq!(
                found,
                vec![("conditions.value".into(), format!("is required for {op}"))]
            );
        }
    }
}

#[test]
fn in_lists_must_be_non_empty_and_bounded() {
    let (at, message) = only_problem(leaf("data.status", "in", json!([])));
    assert_eq!(at, "conditions.value");
    assert_eq!(message, "must list at least one value");
    let many: Vec<u32> = (0..=MAX_IN_VALUES as u32).collect();
    let (_, message) = only_problem(leaf("data.status", "in", json!(many)));
    assert!(message.contains("at most 100 values"), "{message}");
}

#[test]
fn oversized_or_deep_operands_are_refused() {
    let big = "x".repeat(MAX_OPERAND_BYTES);
    let (at, message) = only_problem(leaf("data.title", "eq", json!(big)));
    assert_eq!(at, "conditions.value");
    assert!(message.contains("4096 bytes"), "{message}");
    let deep = json!([[[[[[[[[1]]]]]]]]]);
    let (_, message) = only_problem(leaf("data.x", "eq", deep));
    assert!(message.contains("nest at most 8"), "{message}");
}

#[test]
fn unknown_operators_are_refused_with_the_list() {
    for op in [json!("equals"), json!("EQ"), json!(1), json!(null)] {
        let (at, message) = only_problem(json!({"path": "data.x", "op": op, "value": 1}));
        assert_eq!(at, "conditions.op");
        assert!(
            message.starts_with("must be one of eq, ne, lt"),
            "{message}"
        );
    }
}

#[test]
fn bad_paths_are_refused_at_the_path_field() {
    for path in [json!("amount"), json!("data..x"), json!(""), json!(5)] {
        let (at, _) = only_problem(json!({"path": path, "op": "eq", "value": 1}));
        assert_eq!(at, "conditions.path", "{path}");
    }
    let (at, message) = only_problem(json!({"op": "eq", "value": 1}));
    assert_eq!(
        (at.as_str(), message.as_str()),
        ("conditions.path", "is required")
    );
    let (at, message) = only_problem(json!({"path": "data.x", "value": 1}));
    assert_eq!(
        (at.as_str(), message.as_str()),
        ("conditions.op", "is required")
    );
}

#[test]
fn envelope_strings_compare_only_with_strings() {
    for path in ["type", "entity", "entity_id", "actor.id", "actor.role"] {
        assert!(Condition::parse(&leaf(path, "eq", json!("x"))).is_ok());
        assert!(Condition::parse(&leaf(path, "starts_with", json!("x"))).is_ok());
        assert!(Condition::parse(&leaf(path, "in", json!(["a", "b"]))).is_ok());
        assert!(Condition::parse(&leaf(path, "exists", json!(true))).is_ok());
        let (at, message) = only_problem(leaf(path, "eq", json!(5)));
        assert_eq!(at, "conditions.value");
        assert_eq!(
            message,
            format!("{path} is a string: compare it with a string")
        );
        let (at, _) = only_problem(leaf(path, "in", json!(["a", 1])));
        assert_eq!(at, "conditions.value");
    }
}

#[test]
fn depth_compares_only_with_numbers() {
    assert!(Condition::parse(&leaf("depth", "lt", json!(2))).is_ok());
    assert!(Condition::parse(&leaf("depth", "in", json!([0, 1]))).is_ok());
    let (at, _) = only_problem(leaf("depth", "eq", json!("0")));
    assert_eq!(at, "conditions.value");
    let (at, message) = only_problem(leaf("depth", "contains", json!(1)));
    assert_eq!(at, "conditions.op");
    assert!(message.starts_with("depth is a number"), "{message}");
    let (at, _) = only_problem(leaf("depth", "starts_with", json!("1")));
    assert_eq!(at, "conditions.op");
}

#[test]
fn a_change_pair_allows_only_whole_pair_operators() {
    let pair = json!(["PENDING", "APPROVED"]);
    assert!(Condition::parse(&leaf("changes.status", "eq", pair.clone())).is_ok());
    assert!(Condition::parse(&leaf("changes.status", "contains", json!("APPROVED"))).is_ok());
    assert!(Condition::parse(&leaf("changes.status", "exists", json!(true))).is_ok());
    let (at, _) = only_problem(leaf("changes.status", "eq", json!("APPROVED")));
    assert_eq!(at, "conditions.value");
    let (at, message) = only_problem(leaf("changes.status", "starts_with", json!("A")));
    assert_eq!(at, "conditions.op");
    assert!(message.contains("changes.status.1 (after)"), "{message}");
    assert!(Condition::parse(&leaf("changes.status.1", "starts_with", json!("A"))).is_ok());
}

#[test]
fn whole_objects_allow_only_exists_and_equality() {
    for path in ["data", "changes", "actor"] {
        assert!(Condition::parse(&leaf(path, "exists", json!(true))).is_ok());
        assert!(Condition::parse(&leaf(path, "ne", json!({}))).is_ok());
        let (at, _) = only_problem(leaf(path, "eq", json!("x")));
        assert_eq!(at, "conditions.value");
        let (at, _) = only_problem(leaf(path, "contains", json!("x")));
        assert_eq!(at, "conditions.op");
    }
}

#[test]
fn problems_carry_their_exact_path_in_nested_conditions() {
    let input = json!({"any": [
        {"path": "data.amount", "op": "lt", "value": 100},
        {"all": [
            {"path": "data.amount", "op": "gt", "value": 1},
            {"path": "data.amount", "op": "lt", "value": [1]}
        ]},
        {"not": {"path": "payload.x", "op": "exists"}},
        {"not": {"path": "data.x", "op": "between", "value": 1}}
    ]});
    assert_eq!(
        problems(input),
        vec![
            (
                "conditions.any[1].all[1].value".to_owned(),
                "must be a number or a string for lt, not an array".to_owned()
            ),
            (
                "conditions.any[2].not.path".to_owned(),
                r#"must start with one of data, changes, actor, type, entity, entity_id, depth, not "payload""#
                    .to_owned()
            ),
            (
                "conditions.any[3].not.op".to_owned(),
                "must be one of eq, ne, lt, lte, gt, gte, in, contains, starts_with, exists"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn shapes_other_than_the_four_are_refused() {
    let (at, message) = only_problem(json!([{"path": "data.x", "op": "exists"}]));
    assert_eq!(at, "conditions");
    assert!(message.starts_with("must be an object"), "{message}");
    let (at, _) = only_problem(json!({}));
    assert_eq!(at, "conditions");
    let (at, message) = only_problem(json!({"all": [], "any": []}));
    assert_eq!(at, "conditions");
    assert!(message.starts_with("must have exactly one of"), "{message}");
    let (at, _) =
        only_problem(json!({"not": {"path": "data.x", "op": "exists"}, "path": "data.y"}));
    assert_eq!(at, "conditions");
    let (at, message) = only_problem(json!({"path": "data.x", "op": "exists", "note": "hi"}));
    assert_eq!(at, "conditions.note");
    assert!(message.starts_with("is not a known field"), "{message}");
    let (at, _) = only_problem(json!({"al": [{"path": "data.x", "op": "exists"}]}));
    assert_eq!(at, "conditions.al");
    let (at, message) = only_problem(json!({"all": {"path": "data.x", "op": "exists"}}));
    assert_eq!(at, "conditions.all");
    assert_eq!(message, "must be an array of conditions");
    let (at, _) = only_problem(json!({"not": [{"path": "data.x", "op": "exists"}]}));
    assert_eq!(at, "conditions.not");
}

#[test]
fn empty_all_and_any_lists_are_refused() {
    for combinator in ["all", "any"] {
        let (at, message) = only_problem(json!({ combinator: [] }));
        assert_eq!(at, format!("conditions.{combinator}"));
        assert_eq!(message, "must list at least one condition");
    }
}

fn nested_nots(levels: usize) -> Value {
    (0..levels).fold(
        json!({"path": "data.x", "op": "exists"}),
        |inner, _| json!({ "not": inner }),
    )
}

#[test]
fn nesting_is_limited_to_ten_levels() {
    assert!(Condition::parse(&nested_nots(MAX_NESTING)).is_ok());
    let (at, message) = only_problem(nested_nots(MAX_NESTING + 1));
    assert_eq!(at, format!("conditions{}", ".not".repeat(MAX_NESTING)));
    assert!(message.contains("more than 10 levels"), "{message}");
}

#[test]
fn a_rule_has_at_most_fifty_leaves() {
    let leaves = |n: usize| vec![json!({"path": "data.x", "op": "exists"}); n];
    let fifty = json!({"any": [{"all": leaves(25)}, {"all": leaves(25)}]});
    assert_eq!(Condition::parse(&fifty).unwrap().leaf_count(), 50);
    let fifty_one = json!({"any": [{"all": leaves(25)}, {"all": leaves(26)}]});
    let (at, message) = only_problem(fifty_one);
    assert_eq!(at, "conditions");
    assert_eq!(message, "must have at most 50 comparisons in all");
    let (at, _) = only_problem(json!({ "all": leaves(51) }));
    assert_eq!(at, "conditions.all");
}

#[test]
fn conditions_serialise_in_their_written_shape_and_read_back_checked() {
    let input = json!({"any": [
        {"all": [
            {"path": "data.amount", "op": "gt", "value": 10000},
            {"not": {"path": "actor.role", "op": "eq", "value": "admin"}}
        ]},
        {"path": "data.flag", "op": "exists", "value": false}
    ]});
    let condition = Condition::parse(&input).unwrap();
    assert_eq!(serde_json::to_value(&condition).unwrap(), input);
    let back: Condition = serde_json::from_value(input).unwrap();
    assert_eq!(back, condition);
    let error = serde_json::from_value::<Condition>(json!({"path": "x", "op": "eq", "value": 1}))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("conditions.path: must start with one of"),
        "{error}"
    );
}

#[test]
fn exists_without_a_value_is_stored_with_true() {
    let condition = Condition::parse(&json!({"path": "data.x", "op": "exists"})).unwrap();
    assert_eq!(
        serde_json::to_value(&condition).unwrap(),
        json!({"path": "data.x", "op": "exists", "value": true})
    );
}
