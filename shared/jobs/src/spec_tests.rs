use super::*;
use serde_json::json;

fn fields(error: ApiError) -> Vec<String> {
    let problem = error.to_problem(None);
    problem.errors.iter().map(|e| e.field.clone()).collect()
}

#[test]
fn an_items_report_defaults_to_csv() {
    let spec = parse(JobType::GenerateReport, &json!({"report": "items"})).unwrap();
    assert_eq!(
        spec,
        Spec::GenerateReport {
            report: Report::Items { status: None },
            format: ReportFormat::Csv
        }
    );
}

#[test]
fn an_approvals_report_takes_a_range_that_ends_after_it_starts() {
    let ok = json!({"report": "approvals", "status": "APPROVED", "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "format": "json"});
    assert!(matches!(
        parse(JobType::GenerateReport, &ok).unwrap(),
        Spec::GenerateReport {
            report: Report::Approvals { .. },
            format: ReportFormat::Json
        }
    ));
    let backwards = json!({"report": "approvals", "from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"});
    assert_eq!(
        fields(parse(JobType::GenerateReport, &backwards).unwrap_err()),
        ["data.to"]
    );
}

#[test]
fn a_report_names_every_bad_field() {
    let bad =
        json!({"report": "items", "format": "pdf", "from": "2026-01-01T00:00:00Z", "colour": 1});
    let mut named = fields(parse(JobType::GenerateReport, &bad).unwrap_err());
    named.sort();
    assert_eq!(named, ["data.colour", "data.format", "data.from"]);
    let unknown = json!({"report": "payroll"});
    assert_eq!(
        fields(parse(JobType::GenerateReport, &unknown).unwrap_err()),
        ["data.report"]
    );
    assert_eq!(
        fields(parse(JobType::GenerateReport, &json!({})).unwrap_err()),
        ["data.report"]
    );
}

#[test]
fn a_notification_needs_valid_recipients_and_a_message() {
    let ok = json!({"to": ["Ops@Example.com"], "subject": "Hello", "text": "Body"});
    let Spec::SendNotification { to, message } = parse(JobType::SendNotification, &ok).unwrap()
    else {
        panic!("not a notification");
    };
    assert_eq!(to[0].as_str(), "ops@example.com");
    assert_eq!(
        message,
        Message::Plain {
            subject: "Hello".into(),
            text: "Body".into()
        }
    );

    let bad = json!({"to": ["ops@example.com", "not an address"], "subject": "two\nlines"});
    let mut named = fields(parse(JobType::SendNotification, &bad).unwrap_err());
    named.sort();
    assert_eq!(named, ["data.subject", "data.text", "data.to[1]"]);
    let none = json!({"to": [], "subject": "s", "text": "t"});
    assert_eq!(
        fields(parse(JobType::SendNotification, &none).unwrap_err()),
        ["data.to"]
    );
    let many: Vec<String> = (0..=MAX_RECIPIENTS)
        .map(|i| format!("u{i}@example.com"))
        .collect();
    let too_many = json!({"to": many, "subject": "s", "text": "t"});
    assert_eq!(
        fields(parse(JobType::SendNotification, &too_many).unwrap_err()),
        ["data.to"]
    );
}

#[test]
fn a_notification_template_is_checked() {
    let id = EntityId::new().to_string();
    let ok = json!({"to": ["a@example.com"], "template": "report-ready", "report_job_id": id});
    assert!(parse(JobType::SendNotification, &ok).is_ok());
    let unknown = json!({"to": ["a@example.com"], "template": "welcome"});
    assert_eq!(
        fields(parse(JobType::SendNotification, &unknown).unwrap_err()),
        ["data.template"]
    );
    let no_id = json!({"to": ["a@example.com"], "template": "report-ready"});
    assert_eq!(
        fields(parse(JobType::SendNotification, &no_id).unwrap_err()),
        ["data.report_job_id"]
    );
}

#[test]
fn process_data_must_name_a_change() {
    let ok = json!({"status": "active", "set_status": "archived", "merge_metadata": {"batch": 1}});
    assert!(parse(JobType::ProcessData, &ok).is_ok());
    assert_eq!(
        fields(parse(JobType::ProcessData, &json!({"status": "active"})).unwrap_err()),
        ["data"]
    );
    let bad = json!({"set_status": "gone", "merge_metadata": [1]});
    let mut named = fields(parse(JobType::ProcessData, &bad).unwrap_err());
    named.sort();
    assert_eq!(named, ["data.merge_metadata", "data.set_status"]);
}

#[test]
fn cleanup_defaults_to_thirty_days_of_both() {
    assert_eq!(
        parse(JobType::Cleanup, &json!({})).unwrap(),
        Spec::Cleanup {
            older_than_days: 30,
            items: true,
            jobs: true
        }
    );
    assert_eq!(
        parse(
            JobType::Cleanup,
            &json!({"older_than_days": 7, "targets": ["jobs"]})
        )
        .unwrap(),
        Spec::Cleanup {
            older_than_days: 7,
            items: false,
            jobs: true
        }
    );
    assert_eq!(
        fields(parse(JobType::Cleanup, &json!({"older_than_days": 0})).unwrap_err()),
        ["data.older_than_days"]
    );
    assert_eq!(
        fields(parse(JobType::Cleanup, &json!({"targets": ["users"]})).unwrap_err()),
        ["data.targets"]
    );
}
