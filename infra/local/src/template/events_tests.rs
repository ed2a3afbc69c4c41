//! How template event sources are read: HTTP, SQS, stream and schedule
//! events, their settings, and what is refused or only warned about.
//!
//! Invariant: every case goes through `parse`, as a template file would.

use crate::template::test_support::{assert_refused, ctx, events, function_fn};
use crate::template::{parse, ScheduleSource, SqsSource, StreamSource};

#[test]
fn sqs_events() {
    let yaml = events(
        r#"        Defaults:
          Type: SQS
          Properties: {Queue: !GetAtt Queue.Arn}
        Explicit:
          Type: SQS
          Properties:
            Queue: {'Fn::GetAtt': [Queue, Arn]}
            BatchSize: 5
            MaximumBatchingWindowInSeconds: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            ScalingConfig: {MaximumConcurrency: 4}
            Enabled: false
        ByArnText:
          Type: SQS
          Properties: {Queue: !Sub 'arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:opsflow-local-Queue'}
"#,
    );
    let template = parse(&yaml, &ctx()).unwrap();
    let sources: Vec<_> = function_fn(&template).sqs_sources().cloned().collect();
    assert_eq!(
        sources[0],
        SqsSource {
            function: "Fn".into(),
            queue: "Queue".into(),
            batch_size: 10,
            batching_window_secs: 0,
            report_batch_item_failures: false,
            maximum_concurrency: None,
            enabled: true,
        }
    );
    assert_eq!(
        sources[1],
        SqsSource {
            function: "Fn".into(),
            queue: "Queue".into(),
            batch_size: 5,
            batching_window_secs: 2,
            report_batch_item_failures: true,
            maximum_concurrency: Some(4),
            enabled: false,
        }
    );
    assert_eq!(sources[2].queue, "Queue");
    assert!(
        !template
            .warnings
            .iter()
            .any(|w| w.contains("ScalingConfig")),
        "{:?}",
        template.warnings
    );
}

#[test]
fn sqs_maximum_concurrency_outside_lambdas_range_or_unknown_scaling_is_an_error() {
    let sqs = |scaling: &str| {
        events(&format!(
                "        E:\n          Type: SQS\n          Properties: {{Queue: !GetAtt Queue.Arn, ScalingConfig: {scaling}}}\n"
            ))
    };
    let range = "Resources.Fn.Properties.Events.E.Properties.ScalingConfig.MaximumConcurrency: expected a whole number from 2 to 1000";
    assert_refused(&[
        (&sqs("{MaximumConcurrency: 1}"), &[range]),
        (&sqs("{MaximumConcurrency: 1001}"), &[range]),
        (&sqs("{MaximumConcurrency: lots}"), &[range]),
        (
            &sqs("{MaximumConcurrency: 2, Burst: 3}"),
            &["Resources.Fn.Properties.Events.E.Properties.ScalingConfig.Burst: unknown setting"],
        ),
    ]);
    let template = parse(&sqs("{MaximumConcurrency: 1000}"), &ctx()).unwrap();
    let source = function_fn(&template).sqs_sources().next().cloned();
    assert_eq!(source.and_then(|s| s.maximum_concurrency), Some(1000));
}

#[test]
fn sqs_event_errors() {
    assert_refused(&[
        (
            &events("        E:\n          Type: SQS\n          Properties: {Queue: !GetAtt Table.Arn}\n"),
            &["Resources.Fn.Properties.Events.E.Properties.Queue: expected a queue"],
        ),
        (
            &events("        E:\n          Type: SQS\n          Properties: {Queue: !GetAtt Queue.Arn, FilterCriteria: {Filters: []}}\n"),
            &["Resources.Fn.Properties.Events.E.Properties.FilterCriteria"],
        ),
    ]);
}

#[test]
fn dynamodb_events() {
    let yaml = events(
        r#"        Defaults:
          Type: DynamoDB
          Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: LATEST}
        Explicit:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 7
            MaximumRetryAttempts: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            Enabled: false
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"]}'
                - Pattern: '{"dynamodb": {"NewImage": {"kind": {"S": ["user"]}}}}'
"#,
    );
    let template = parse(&yaml, &ctx()).unwrap();
    let sources: Vec<_> = function_fn(&template).stream_sources().cloned().collect();
    assert_eq!(
        sources[0],
        StreamSource {
            function: "Fn".into(),
            table: "Table".into(),
            batch_size: 100,
            starting_position: "LATEST".into(),
            filter_patterns: Vec::new(),
            report_batch_item_failures: false,
            maximum_retry_attempts: -1,
            maximum_record_age_secs: -1,
            bisect_batch_on_function_error: false,
            on_failure: None,
            enabled: true,
        }
    );
    assert_eq!(
        sources[1],
        StreamSource {
            function: "Fn".into(),
            table: "Table".into(),
            batch_size: 7,
            starting_position: "TRIM_HORIZON".into(),
            filter_patterns: vec![
                serde_json::json!({"eventName": ["INSERT"]}),
                serde_json::json!({"dynamodb": {"NewImage": {"kind": {"S": ["user"]}}}}),
            ],
            report_batch_item_failures: true,
            maximum_retry_attempts: 2,
            maximum_record_age_secs: -1,
            bisect_batch_on_function_error: false,
            on_failure: None,
            enabled: false,
        }
    );
}

#[test]
fn dynamodb_event_errors() {
    assert_refused(&[
        (
            &events("        E:\n          Type: DynamoDB\n          Properties:\n            Stream: !GetAtt Table.StreamArn\n            StartingPosition: LATEST\n            FilterCriteria: {Filters: [{Pattern: '{not json'}]}\n"),
            &["Resources.Fn.Properties.Events.E.Properties.FilterCriteria.Filters[0].Pattern: invalid JSON"],
        ),
        (
            &events("        E:\n          Type: DynamoDB\n          Properties: {Stream: !GetAtt Plain.StreamArn, StartingPosition: LATEST}\n"),
            &["Resources.Fn.Properties.Events.E.Properties.Stream: table Plain has no StreamSpecification"],
        ),
        (
            &events("        E:\n          Type: DynamoDB\n          Properties: {Stream: !GetAtt Table.StreamArn}\n"),
            &["StartingPosition: missing"],
        ),
    ]);
}

#[test]
fn schedule_events() {
    let yaml = events(
        r#"        Hourly:
          Type: Schedule
          Properties: {Schedule: rate(1 hour), Input: '{"a": 1}'}
        Off:
          Type: Schedule
          Properties: {Schedule: 'cron(0 12 * * ? *)', Enabled: false}
        V2:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(5 minutes)}
        V2Off:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(5 minutes), State: DISABLED}
"#,
    );
    let template = parse(&yaml, &ctx()).unwrap();
    let schedules: Vec<_> = function_fn(&template).schedules().cloned().collect();
    assert_eq!(
        schedules[0],
        ScheduleSource {
            function: "Fn".into(),
            name: "Hourly".into(),
            expression: "rate(1 hour)".into(),
            input: Some(r#"{"a": 1}"#.into()),
            enabled: true,
        }
    );
    assert_eq!(
        (schedules[1].expression.as_str(), schedules[1].enabled),
        ("cron(0 12 * * ? *)", false)
    );
    assert_eq!(
        (schedules[2].name.as_str(), schedules[2].enabled),
        ("V2", true)
    );
    assert!(!schedules[3].enabled);
}

#[test]
fn other_event_types_are_errors_naming_function_and_event() {
    assert_refused(&[(
        &events("        Login:\n          Type: Foo\n          Properties: {}\n"),
        &["Resources.Fn.Properties.Events.Login: unsupported event type Foo"],
    )]);
}

#[test]
fn unhandled_event_settings_are_warnings() {
    let yaml = events(
            "        E:\n          Type: DynamoDB\n          Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: LATEST, ParallelizationFactor: 2}\n",
        );
    let template = parse(&yaml, &ctx()).unwrap();
    assert!(template.warnings.contains(
        &"Resources.Fn.Properties.Events.E.Properties.ParallelizationFactor: not applied locally"
            .to_owned()
    ));
}

#[test]
fn stream_failure_handling_is_read_and_other_destinations_are_refused() {
    let yaml = events(
            "        E:\n          Type: DynamoDB\n          Properties:\n            Stream: !GetAtt Table.StreamArn\n            StartingPosition: LATEST\n            BisectBatchOnFunctionError: true\n            MaximumRecordAgeInSeconds: 60\n            DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt Queue.Arn}}\n",
        );
    let template = parse(&yaml, &ctx()).unwrap();
    let source = function_fn(&template)
        .stream_sources()
        .next()
        .cloned()
        .unwrap();
    assert!(source.bisect_batch_on_function_error);
    assert_eq!(source.maximum_record_age_secs, 60);
    assert_eq!(source.on_failure.as_deref(), Some("Queue"));
    assert!(template.warnings.is_empty(), "{:?}", template.warnings);
    let sns = yaml.replace(
        "Type: SQS, Destination: !GetAtt Queue.Arn",
        "Type: SNS, Destination: arn:aws:sns:us-east-1:1:t",
    );
    let young = yaml.replace(
        "MaximumRecordAgeInSeconds: 60",
        "MaximumRecordAgeInSeconds: 59",
    );
    assert_refused(&[
        (&sns, &["only SQS on-failure destinations run locally"]),
        (&young, &["expected -1 or 60–604800"]),
    ]);
}
