//! Whole rules: defaults, every kind of refusal with its path, storage
//! round trip and evaluation against an event.

use super::*;
use serde_json::json;

fn input(value: Value) -> RuleInput {
    serde_json::from_value(value).unwrap()
}

fn example() -> Value {
    json!({
        "name": "Auto-approve small purchases",
        "description": "Purchases under 100 by approvers need no second look.",
        "trigger": "approval.created",
        "conditions": {"all": [
            {"path": "data.amount", "op": "lt", "value": 100},
            {"path": "actor.role", "op": "in", "value": ["approver", "admin"]},
            {"not": {"path": "data.payload.category", "op": "eq", "value": "travel"}}
        ]},
        "actions": [
            {"type": "approve", "comment": "Auto-approved: under 100"},
            {"type": "notify_webhook", "topic": "approvals.auto_approved"},
            {"type": "log", "message": "small purchase auto-approved"}
        ],
        "enabled": true,
        "priority": 10
    })
}

/// `example()` with `field` replaced (or removed, for `Value::Null`).
fn example_with(field: &str, value: Value) -> Value {
    let mut rule = example();
    let fields = rule.as_object_mut().unwrap();
    if value.is_null() {
        fields.remove(field);
    } else {
        fields.insert(field.to_owned(), value);
    }
    rule
}

fn problems(value: Value) -> Problems {
    RuleSpec::parse(input(value)).unwrap_err()
}

fn problem_paths(value: Value) -> Vec<String> {
    problems(value).into_iter().map(|(path, _)| path).collect()
}

fn event(amount: f64, role: &str) -> Value {
    json!({
        "id": "e-1", "type": "approval.created", "entity": "approval", "entity_id": "a-1",
        "actor": {"id": "u-1", "role": role}, "occurred_at": "2026-05-01T10:00:00Z",
        "correlation_id": "c-1", "depth": 0,
        "data": {"amount": amount, "payload": {"category": "office"}},
        "changes": {"status": [null, "PENDING"]}
    })
}

#[test]
fn the_documented_example_parses_and_round_trips() {
    let rule = RuleSpec::parse(input(example())).unwrap();
    assert_eq!(rule.name(), "Auto-approve small purchases");
    assert_eq!(rule.trigger().as_str(), "approval.created");
    assert_eq!(rule.conditions().unwrap().leaf_count(), 3);
    assert_eq!(rule.actions().len(), 3);
    assert_eq!(rule.priority(), 10);
    assert_eq!(serde_json::to_value(&rule).unwrap(), example());
    let back: RuleSpec = serde_json::from_value(example()).unwrap();
    assert_eq!(back, rule);
}

#[test]
fn optional_fields_take_their_defaults() {
    let rule = RuleSpec::parse(input(json!({
        "name": "Log registrations",
        "trigger": "user.registered",
        "actions": [{"type": "log", "message": "a user registered"}]
    })))
    .unwrap();
    assert!(rule.enabled());
    assert_eq!(rule.priority(), DEFAULT_PRIORITY);
    assert_eq!(rule.description(), None);
    assert!(rule.conditions().is_none());
    let stored = serde_json::to_value(&rule).unwrap();
    assert!(stored.get("conditions").is_none() && stored.get("description").is_none());
}

#[test]
fn a_rule_without_conditions_matches_every_triggering_event() {
    let rule = RuleSpec::parse(input(example_with("conditions", Value::Null))).unwrap();
    let evaluation = rule.evaluate(&event(1e6, "user"));
    assert!(evaluation.triggered && evaluation.matched);
    assert!(evaluation.conditions.is_none());
}

#[test]
fn a_rule_matches_when_triggered_and_its_conditions_hold() {
    let rule = RuleSpec::parse(input(example())).unwrap();
    let small = rule.evaluate(&event(42.5, "approver"));
    assert!(small.triggered && small.matched);
    let large = rule.evaluate(&event(420.0, "approver"));
    assert!(large.triggered && !large.matched);
    let mut other = event(42.5, "approver");
    other["type"] = json!("approval.approved");
    let untriggered = rule.evaluate(&other);
    assert!(!untriggered.triggered && !untriggered.matched);
    assert!(
        untriggered.conditions.unwrap().matched,
        "conditions are still shown"
    );
}

#[test]
fn bad_scalar_fields_are_refused_by_name() {
    for (field, value) in [
        ("name", json!("")),
        ("name", json!("x".repeat(121))),
        ("description", json!("x".repeat(2001))),
        ("trigger", json!("approval.")),
        ("trigger", json!("")),
        ("priority", json!(1001)),
        ("priority", json!(-1)),
    ] {
        assert_eq!(
            problem_paths(example_with(field, value.clone())),
            [field],
            "{value}"
        );
    }
    assert!(RuleSpec::parse(input(example_with("priority", json!(0)))).is_ok());
    assert!(RuleSpec::parse(input(example_with("priority", json!(1000)))).is_ok());
}

#[test]
fn condition_problems_carry_their_path_in_the_rule() {
    let conditions = json!({"any": [
        {"path": "body.amount", "op": "lt", "value": 1},
        {"path": "data.amount", "op": "lt", "value": true},
        {"path": "data.amount", "op": "below", "value": 1}
    ]});
    assert_eq!(
        problem_paths(example_with("conditions", conditions)),
        [
            "conditions.any[0].path",
            "conditions.any[1].value",
            "conditions.any[2].op"
        ]
    );
}

#[test]
fn too_deep_or_too_large_conditions_are_refused() {
    let deep = (0..11).fold(
        json!({"path": "data.x", "op": "exists"}),
        |c, _| json!({"not": c}),
    );
    assert_eq!(problem_paths(example_with("conditions", deep)).len(), 1);
    let leaves = vec![json!({"path": "data.x", "op": "exists"}); 30];
    let wide = json!({"any": [{"all": leaves.clone()}, {"all": leaves}]});
    assert_eq!(
        problem_paths(example_with("conditions", wide)),
        ["conditions"]
    );
}

#[test]
fn action_problems_carry_their_index() {
    let actions = json!([
        {"type": "log", "message": "fine"},
        {"type": "notify_webhook", "topic": "Bad Topic"},
        {"type": "escalate"}
    ]);
    assert_eq!(
        problem_paths(example_with("actions", actions)),
        ["actions[1].topic", "actions[2].type"]
    );
    assert_eq!(
        problem_paths(example_with("actions", json!([]))),
        ["actions"]
    );
}

#[test]
fn approval_actions_are_refused_under_a_trigger_that_never_sees_an_approval() {
    let mut rule = example_with("trigger", json!("user.registered"));
    rule["conditions"] = json!({"path": "data.email", "op": "exists"});
    rule["actions"] = json!([
        {"type": "log", "message": "x"},
        {"type": "approve", "comment": "x"},
        {"type": "assign", "user_id": "0192f3a4-5b6c-7d8e-9f01-23456789abcd"}
    ]);
    let found = problems(rule);
    assert_eq!(
        found,
        vec![
            (
                "actions[1]".to_owned(),
                "approve acts on an approval, and trigger user.registered never matches \
                 an approval event"
                    .to_owned()
            ),
            (
                "actions[2]".to_owned(),
                "assign acts on an approval, and trigger user.registered never matches \
                 an approval event"
                    .to_owned()
            ),
        ]
    );
    for trigger in ["approval.*", "*.created", "*"] {
        let rule = example_with("trigger", json!(trigger));
        assert!(RuleSpec::parse(input(rule)).is_ok(), "{trigger}");
    }
}

#[test]
fn every_problem_in_a_rule_is_reported_at_once() {
    let rule = json!({
        "name": " ",
        "trigger": "Approval",
        "conditions": {"path": "data.x", "op": "in", "value": 1},
        "actions": [{"type": "log"}],
        "priority": 5000
    });
    assert_eq!(
        problem_paths(rule),
        [
            "name",
            "trigger",
            "conditions.value",
            "actions[0].message",
            "priority"
        ]
    );
}

#[test]
fn unknown_rule_fields_are_refused() {
    let error = serde_json::from_value::<RuleInput>(example_with("when", json!("now")))
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown field `when`"), "{error}");
}

#[test]
fn reading_back_an_invalid_rule_fails() {
    let error = serde_json::from_value::<RuleSpec>(example_with("priority", json!(2000)))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("priority: must be between 0 and 1000"),
        "{error}"
    );
}
