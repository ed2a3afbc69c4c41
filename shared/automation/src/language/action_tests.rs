//! Actions: each kind parsed, each field checked with its path.

use super::*;
use serde_json::json;

fn parse(input: Value) -> Result<Action, Problems> {
    Action::parse(&input, "actions[0]")
}

fn only_problem(input: Value) -> (String, String) {
    let mut found = parse(input).unwrap_err();
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

const USER: &str = "0192f3a4-5b6c-7d8e-9f01-23456789abcd";

#[test]
fn every_kind_of_action_parses_and_serialises_as_written() {
    for input in [
        json!({"type": "approve", "comment": "Under the limit"}),
        json!({"type": "reject", "comment": "Over budget"}),
        json!({"type": "assign", "user_id": USER}),
        json!({"type": "set_field", "path": "review.level", "value": {"n": 2}}),
        json!({"type": "set_field", "path": "flag", "value": null}),
        json!({"type": "enqueue_job", "job_type": "report.generate", "payload": {"format": "pdf"}}),
        json!({"type": "notify_webhook", "topic": "approvals.auto-approved"}),
        json!({"type": "log", "message": "matched the small-amounts rule"}),
    ] {
        let action = parse(input.clone()).unwrap();
        assert_eq!(serde_json::to_value(&action).unwrap(), input);
        let back: Action = serde_json::from_value(input.clone()).unwrap();
        assert_eq!(back, action, "{input}");
    }
}

#[test]
fn a_job_payload_defaults_to_an_empty_object() {
    let action = parse(json!({"type": "enqueue_job", "job_type": "cleanup"})).unwrap();
    assert_eq!(
        action,
        Action::EnqueueJob {
            job_type: JobType::parse("cleanup").unwrap(),
            payload: Map::new()
        }
    );
}

#[test]
fn each_action_on_an_entity_names_the_kind_its_event_must_be_about() {
    let needs: Vec<(&str, Option<&str>)> = [
        json!({"type": "approve", "comment": "ok"}),
        json!({"type": "reject", "comment": "no"}),
        json!({"type": "assign", "user_id": USER}),
        json!({"type": "set_field", "path": "a", "value": 1}),
        json!({"type": "enqueue_job", "job_type": "x"}),
        json!({"type": "hold_order", "reason": "Over 1,000", "workflow_id": USER}),
        json!({"type": "release_order"}),
        json!({"type": "notify_webhook", "topic": "x"}),
        json!({"type": "log", "message": "x"}),
    ]
    .into_iter()
    .map(|input| {
        let action = parse(input).unwrap();
        (action.kind(), action.acts_on())
    })
    .collect();
    assert_eq!(
        needs,
        vec![
            ("approve", Some("approval")),
            ("reject", Some("approval")),
            ("assign", Some("approval")),
            ("set_field", Some("approval")),
            ("enqueue_job", None),
            ("hold_order", Some("order")),
            ("release_order", Some("approval")),
            ("notify_webhook", None),
            ("log", None),
        ]
    );
}

#[test]
fn a_hold_needs_a_one_line_reason_and_a_workflow_and_a_release_takes_nothing() {
    let hold =
        parse(json!({"type": "hold_order", "reason": "Large", "workflow_id": USER})).unwrap();
    assert_eq!(
        serde_json::to_value(&hold).unwrap(),
        json!({"type": "hold_order", "reason": "Large", "workflow_id": USER})
    );
    let problems = Action::parse(
        &json!({"type": "hold_order", "reason": "two\nlines", "workflow_id": "w"}),
        "a",
    )
    .unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(paths, ["a.reason", "a.workflow_id"]);
    let missing = Action::parse(&json!({"type": "hold_order"}), "a").unwrap_err();
    assert_eq!(missing.len(), 2);
    let extra =
        Action::parse(&json!({"type": "release_order", "order_id": USER}), "a").unwrap_err();
    assert_eq!(extra[0].0, "a.order_id");
    assert_eq!(
        serde_json::to_value(parse(json!({"type": "release_order"})).unwrap()).unwrap(),
        json!({"type": "release_order"})
    );
}

#[test]
fn an_unknown_or_missing_type_is_refused_at_the_type_field() {
    for input in [
        json!({"type": "delete", "comment": "x"}),
        json!({"type": "APPROVE", "comment": "x"}),
        json!({"type": 1}),
    ] {
        let (at, message) = only_problem(input);
        assert_eq!(at, "actions[0].type");
        assert!(
            message.starts_with("must be one of approve, reject, assign"),
            "{message}"
        );
    }
    let (at, message) = only_problem(json!({"comment": "x"}));
    assert_eq!(
        (at.as_str(), message.as_str()),
        ("actions[0].type", "is required")
    );
    let (at, _) = only_problem(json!("approve"));
    assert_eq!(at, "actions[0]");
}

#[test]
fn each_bad_field_is_refused_with_its_path() {
    let long = "x".repeat(1001);
    for (input, field) in [
        (json!({"type": "approve"}), "comment"),
        (json!({"type": "approve", "comment": "  "}), "comment"),
        (json!({"type": "reject", "comment": long}), "comment"),
        (json!({"type": "reject", "comment": 5}), "comment"),
        (json!({"type": "assign", "user_id": "bob"}), "user_id"),
        (
            json!({"type": "set_field", "path": "a..b", "value": 1}),
            "path",
        ),
        (
            json!({"type": "set_field", "path": "lines.0", "value": 1}),
            "path",
        ),
        (
            json!({"type": "set_field", "path": "a.b.c.d.e.f.g.h.i", "value": 1}),
            "path",
        ),
        (json!({"type": "set_field", "path": "a"}), "value"),
        (
            json!({"type": "set_field", "path": "a", "value": "x".repeat(4096)}),
            "value",
        ),
        (
            json!({"type": "set_field", "path": "a", "value": [[[[[[[[[1]]]]]]]]]}),
            "value",
        ),
        (
            json!({"type": "enqueue_job", "job_type": "Report"}),
            "job_type",
        ),
        (
            json!({"type": "enqueue_job", "job_type": "report/generate"}),
            "job_type",
        ),
        (
            json!({"type": "enqueue_job", "job_type": "a".repeat(65)}),
            "job_type",
        ),
        (
            json!({"type": "enqueue_job", "job_type": "x", "payload": [1]}),
            "payload",
        ),
        (
            json!({"type": "enqueue_job", "job_type": "x", "payload": {"b": "x".repeat(16 * 1024)}}),
            "payload",
        ),
        (
            json!({"type": "notify_webhook", "topic": "Approvals"}),
            "topic",
        ),
        (json!({"type": "notify_webhook", "topic": "a b"}), "topic"),
        (json!({"type": "notify_webhook"}), "topic"),
        (json!({"type": "log", "message": ""}), "message"),
        (
            json!({"type": "log", "message": "x".repeat(501)}),
            "message",
        ),
        (json!({"type": "log", "message": "two\nlines"}), "message"),
    ] {
        let (at, _) = only_problem(input.clone());
        assert_eq!(at, format!("actions[0].{field}"), "{input}");
    }
}

#[test]
fn identifiers_accept_their_full_length_and_alphabet() {
    assert!(JobType::parse(&format!("a{}", "b".repeat(63))).is_ok());
    assert!(JobType::parse("report_2.generate").is_ok());
    // The job module's types are hyphenated.
    for job_type in [
        "process-data",
        "send-notification",
        "generate-report",
        "cleanup",
    ] {
        assert!(JobType::parse(job_type).is_ok(), "{job_type}");
    }
    assert!(JobType::parse("-leading").is_err());
    assert!(JobType::parse("Process-Data").is_err());
    let path = PayloadPath::parse("_meta.Review-1.level").unwrap();
    assert_eq!(
        path.segments().collect::<Vec<_>>(),
        ["_meta", "Review-1", "level"]
    );
}

#[test]
fn fields_of_another_action_are_refused() {
    let (at, message) = only_problem(json!({"type": "log", "message": "x", "comment": "y"}));
    assert_eq!(at, "actions[0].comment");
    assert_eq!(message, "is not a field of log");
}

#[test]
fn every_problem_of_an_action_is_reported() {
    let found = parse(json!({"type": "set_field", "path": "", "extra": 1})).unwrap_err();
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["actions[0].extra", "actions[0].path", "actions[0].value"]
    );
}

#[test]
fn a_list_has_one_to_ten_actions_and_reports_each_by_index() {
    let log = json!({"type": "log", "message": "x"});
    assert_eq!(
        Action::parse_list(&vec![log.clone(); 10]).unwrap().len(),
        10
    );
    for count in [0, 11] {
        let found = Action::parse_list(&vec![log.clone(); count]).unwrap_err();
        assert_eq!(
            found,
            vec![("actions".into(), "must list 1 to 10 actions".into())]
        );
    }
    let found = Action::parse_list(&[
        log,
        json!({"type": "notify_webhook", "topic": "!"}),
        json!({"type": "nope"}),
    ])
    .unwrap_err();
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["actions[1].topic", "actions[2].type"]);
}

#[test]
fn reading_back_an_invalid_action_fails() {
    let error = serde_json::from_value::<Action>(json!({"type": "log", "message": ""}))
        .unwrap_err()
        .to_string();
    assert!(error.contains("action.message"), "{error}");
}
