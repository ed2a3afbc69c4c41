//! Request parsing: JSON errors naming their field, text the pipeline
//! cannot carry, correlation ids.

use super::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Input {
    email: String,
    nested: Option<Nested>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Nested {
    count: u32,
}

fn field_of(error: ApiError) -> (u16, String) {
    let status = error.status();
    match error {
        ApiError::BadRequest { errors, .. } | ApiError::Unprocessable { errors, .. } => {
            (status, errors[0].field.clone())
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn json_errors_name_the_field() {
    let cases: [(&str, u16, &str); 6] = [
        (r#"{"email": 5}"#, 400, "email"),
        (r#"{"email": "a", "extra": 1}"#, 400, "extra"),
        (r#"{}"#, 422, "email"),
        (
            r#"{"email": "a", "nested": {"count": "x"}}"#,
            400,
            "nested.count",
        ),
        (r#"{"email": "a", "nested": {}}"#, 422, "nested.count"),
        (r#"{"email": "#, 400, "body"),
    ];
    for (body, status, field) in cases {
        let error = parse_json_bytes::<Input>(body.as_bytes()).unwrap_err();
        assert_eq!(field_of(error), (status, field.to_owned()), "{body}");
    }
}

#[test]
fn text_sqs_cannot_carry_is_found_by_its_path() {
    let refused = |body: &str| match refuse_unsendable_text(body.as_bytes()) {
        Ok(()) => None,
        Err(error) => Some(field_of(error)),
    };
    assert_eq!(
        refused(r#"{"a":"ok","b":["x","\uffff"]}"#),
        Some((422, "b[1]".into()))
    );
    assert_eq!(
        refused("{\"a\":{\"k\u{FFFE}\":1}}"),
        Some((422, "a.k\\ufffe".into()))
    );
    assert_eq!(refused(r#"{"a":"\u0000"}"#), Some((422, "a".into())));
    assert_eq!(
        refused(r#"{"a":"tab\t, line\n, \u00e9, \ud83d\ude00"}"#),
        None
    );
    assert_eq!(
        refused(r#"{"a": "\uffff"#),
        None,
        "malformed: left to the typed parse"
    );
}

#[test]
fn trailing_garbage_is_malformed() {
    let error = parse_json_bytes::<Input>(br#"{"email":"a"} x"#).unwrap_err();
    assert_eq!(error.status(), 400);
}

#[test]
fn correlation_ids_must_be_plain() {
    assert!(is_valid_correlation_id("abc-123_x.y:z"));
    assert!(!is_valid_correlation_id("a b"));
    assert!(!is_valid_correlation_id("line\nbreak"));
    assert!(!is_valid_correlation_id(&"a".repeat(129)));
}
