//! Reading moto's model dump into the messages `/_mail` lists.
//!
//! Invariant: each dump is shaped as moto 5's `GET /moto-api/data.json`
//! answers it after a `SendEmail` (simple or raw), trimmed to the `ses`
//! models.

use super::{address_list, sent_in_dump, split_headers, SentMail};
use serde_json::json;

fn dump() -> serde_json::Value {
    json!({
        "sqs": {"Message": [{"body": "not mail", "id": "q1"}]},
        "ses": {
            "EmailIdentity": [{"email_identity": "ops@example.com"}],
            "Message": [
                {
                    "id": "m1",
                    "source": "Opsflow <ops@example.com>",
                    "subject": "Report ready",
                    "body": "Your report is ready.",
                    "destinations": {"ToAddresses": ["ana@example.com"], "BccAddresses": ["audit@example.com"]},
                },
                {"source": "broken, no id"},
                {
                    "id": "m2",
                    "source": "ops@example.com",
                    "subject": "Second",
                    "body": "<p>hi</p>",
                    "destinations": {"ToAddresses": ["bo@example.com"], "CcAddresses": ["Ana <Ana@Example.com>"]},
                },
            ],
            "RawMessage": [{
                "id": "r1",
                "source": "ops@example.com",
                "destinations": ["cy@example.com", "hidden@example.com", "\"Cy, Jr\" <cy@example.com>"],
                "raw_data": "From: ops@example.com\r\nTo: \"Cy, Jr\" <cy@example.com>\r\nSubject: Raw\r\n and folded\r\n\r\nline 1\r\n\r\nline 2",
            }],
        },
    })
}

#[test]
fn simple_messages_then_raw_ones_in_the_order_sent() {
    let sent = sent_in_dump(&dump());
    let ids: Vec<&str> = sent.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["m1", "m2", "r1"]);
    assert_eq!(
        sent[0],
        SentMail {
            id: "m1".into(),
            source: "Opsflow <ops@example.com>".into(),
            to: vec!["ana@example.com".into()],
            cc: Vec::new(),
            bcc: vec!["audit@example.com".into()],
            subject: "Report ready".into(),
            body: "Your report is ready.".into(),
            format: "simple",
        }
    );
    assert_eq!(
        sent[0].to_json(),
        json!({
            "id": "m1",
            "source": "Opsflow <ops@example.com>",
            "destinations": {"to": ["ana@example.com"], "cc": [], "bcc": ["audit@example.com"]},
            "subject": "Report ready",
            "body": "Your report is ready.",
            "format": "simple",
        })
    );
}

#[test]
fn a_raw_message_is_read_from_its_headers() {
    let raw = &sent_in_dump(&dump())[2];
    assert_eq!(raw.format, "raw");
    assert_eq!(raw.subject, "Raw and folded");
    assert_eq!(raw.to, ["\"Cy, Jr\" <cy@example.com>"]);
    assert!(raw.cc.is_empty());
    // Recipients the headers do not name were blind copies.
    assert_eq!(raw.bcc, ["hidden@example.com"]);
    assert_eq!(raw.body, "line 1\r\n\r\nline 2");
}

#[test]
fn recipients_match_without_display_name_or_case() {
    let sent = sent_in_dump(&dump());
    let for_ana: Vec<&str> = sent
        .iter()
        .filter(|m| m.is_for("ANA@example.com"))
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(for_ana, ["m1", "m2"]);
    assert!(sent[0].is_for("audit@example.com"));
    assert!(sent[2].is_for("Cy <cy@example.com>"));
    assert!(!sent[0].is_for("example.com"));
}

#[test]
fn a_dump_without_ses_lists_nothing() {
    assert!(sent_in_dump(&json!({"sqs": {}})).is_empty());
    assert!(sent_in_dump(&json!([])).is_empty());
}

#[test]
fn headers_and_address_lists() {
    let (headers, body) = split_headers("Subject: a\n\tb\nTo: x@y.z\n\nbody\n");
    assert_eq!(
        headers,
        [
            ("Subject".to_owned(), "a b".to_owned()),
            ("To".to_owned(), "x@y.z".to_owned())
        ]
    );
    assert_eq!(body, "body\n");
    assert_eq!(split_headers("no body").1, "");
    assert_eq!(
        address_list("a@b.c, \"Doe, J\" <j@b.c>,<k@b.c> ,"),
        ["a@b.c", "\"Doe, J\" <j@b.c>", "<k@b.c>"]
    );
}
