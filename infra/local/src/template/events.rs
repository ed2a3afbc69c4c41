//! A function's `Events`: `SQS`, `DynamoDB`, `Schedule` and `ScheduleV2`
//! event sources (`HttpApi` events are read in `http_api`). Invariant:
//! every event designates a created resource of the right kind (a queue, a
//! table with a stream), settings that would behave differently locally
//! are errors, settings that are merely not applied are warnings, and any
//! other event type is an error naming the function and the event.

use super::properties::check_keys;
use super::reader::Reader;
use super::values::key_text;
use super::{EventSource, ScheduleSource, SqsSource, StreamSource, TableDef, QUEUE, TABLE};
use anyhow::{anyhow, bail, Result};
use serde_yaml::{Mapping, Value};

impl Reader<'_> {
    pub(super) fn event(
        &self,
        function: &str,
        name: &str,
        event: &Value,
        path: &str,
    ) -> Result<EventSource> {
        let Value::Mapping(event) = event else {
            bail!("{path}: expected a mapping");
        };
        let kind = match event.get("Type") {
            Some(value) => self.resolve_text(value, &format!("{path}.Type"))?,
            None => bail!("{path}.Type: missing"),
        };
        let empty = Mapping::new();
        let props = match event.get("Properties") {
            None | Some(Value::Null) => &empty,
            Some(Value::Mapping(props)) => props,
            Some(_) => bail!("{path}.Properties: expected a mapping"),
        };
        let pp = format!("{path}.Properties");
        let mut warnings = Vec::new();
        let source = match kind.as_str() {
            "HttpApi" => {
                check_keys(
                    props,
                    &pp,
                    &["ApiId", "Path", "Method", "PayloadFormatVersion"],
                    &["TimeoutInMillis", "RouteSettings"],
                    &[],
                    &mut warnings,
                )?;
                EventSource::Http(self.http_event(function, props, path, &pp)?)
            }
            "SQS" => {
                check_keys(
                    props,
                    &pp,
                    &[
                        "Queue",
                        "BatchSize",
                        "MaximumBatchingWindowInSeconds",
                        "FunctionResponseTypes",
                        "ScalingConfig",
                        "Enabled",
                    ],
                    &["KmsKeyArn", "MetricsConfig"],
                    &[(
                        "FilterCriteria",
                        "filters on SQS events are not supported locally",
                    )],
                    &mut warnings,
                )?;
                EventSource::Sqs(SqsSource {
                    function: function.to_owned(),
                    queue: match props.get("Queue") {
                        Some(queue) => self.target(
                            queue,
                            &format!("{pp}.Queue"),
                            &[QUEUE],
                            &["Arn"],
                            "a queue (!GetAtt Queue.Arn)",
                        )?,
                        None => bail!("{pp}.Queue: missing"),
                    },
                    batch_size: self
                        .opt_number(props, "BatchSize", &pp, 1..=10_000)?
                        .unwrap_or(10),
                    batching_window_secs: self
                        .opt_number(props, "MaximumBatchingWindowInSeconds", &pp, 0..=300)?
                        .unwrap_or(0),
                    report_batch_item_failures: self.report_failures(props, &pp)?,
                    maximum_concurrency: self.sqs_scaling(props, &pp)?,
                    enabled: self.opt_bool(props, "Enabled", &pp)?.unwrap_or(true),
                })
            }
            "DynamoDB" => {
                check_keys(
                    props,
                    &pp,
                    &[
                        "Stream",
                        "StartingPosition",
                        "BatchSize",
                        "FilterCriteria",
                        "FunctionResponseTypes",
                        "MaximumRetryAttempts",
                        "MaximumRecordAgeInSeconds",
                        "BisectBatchOnFunctionError",
                        "DestinationConfig",
                        "Enabled",
                    ],
                    &["KmsKeyArn", "MetricsConfig"],
                    &[(
                        "TumblingWindowInSeconds",
                        "tumbling windows are not supported locally",
                    )],
                    &mut warnings,
                )?;
                let table = match props.get("Stream") {
                    Some(stream) => self.target(
                        stream,
                        &format!("{pp}.Stream"),
                        &[TABLE],
                        &["StreamArn"],
                        "a table stream (!GetAtt Table.StreamArn)",
                    )?,
                    None => bail!("{pp}.Stream: missing"),
                };
                self.stream_uses
                    .borrow_mut()
                    .push((pp.clone(), table.clone()));
                let maximum_record_age_secs = self
                    .opt_number(props, "MaximumRecordAgeInSeconds", &pp, -1..=604_800)?
                    .unwrap_or(-1);
                if (0..60).contains(&maximum_record_age_secs) {
                    bail!("{pp}.MaximumRecordAgeInSeconds: expected -1 or 60–604800, got {maximum_record_age_secs}");
                }
                let starting_position = self
                    .opt_text(props, "StartingPosition", &pp)?
                    .ok_or_else(|| anyhow!("{pp}.StartingPosition: missing"))?;
                if !matches!(starting_position.as_str(), "TRIM_HORIZON" | "LATEST") {
                    bail!(
                        "{pp}.StartingPosition: expected TRIM_HORIZON or LATEST, got {starting_position}"
                    );
                }
                EventSource::Stream(StreamSource {
                    function: function.to_owned(),
                    table,
                    batch_size: self
                        .opt_number(props, "BatchSize", &pp, 1..=10_000)?
                        .unwrap_or(100),
                    starting_position,
                    filter_patterns: self.filter_patterns(props, &pp)?,
                    report_batch_item_failures: self.report_failures(props, &pp)?,
                    maximum_retry_attempts: self
                        .opt_number(props, "MaximumRetryAttempts", &pp, -1..=10_000)?
                        .unwrap_or(-1),
                    maximum_record_age_secs,
                    bisect_batch_on_function_error: self
                        .opt_bool(props, "BisectBatchOnFunctionError", &pp)?
                        .unwrap_or(false),
                    on_failure: self.on_failure_destination(props, &pp)?,
                    enabled: self.opt_bool(props, "Enabled", &pp)?.unwrap_or(true),
                })
            }
            "Schedule" | "ScheduleV2" => {
                let v2 = kind == "ScheduleV2";
                let expression_key = if v2 { "ScheduleExpression" } else { "Schedule" };
                check_keys(
                    props,
                    &pp,
                    &[
                        expression_key,
                        "Input",
                        "Enabled",
                        "State",
                        "ScheduleExpressionTimezone",
                    ],
                    &[
                        "Name",
                        "Description",
                        "FlexibleTimeWindow",
                        "GroupName",
                        "RoleArn",
                    ],
                    &[],
                    &mut warnings,
                )?;
                let expression = self
                    .opt_text(props, expression_key, &pp)?
                    .ok_or_else(|| anyhow!("{pp}.{expression_key}: missing"))?;
                if !(expression.starts_with("rate(") || expression.starts_with("cron(")) {
                    bail!("{pp}.{expression_key}: only rate(…) and cron(…) schedules run locally, got {expression}");
                }
                if let Some(zone) = self.opt_text(props, "ScheduleExpressionTimezone", &pp)? {
                    if zone != "UTC" && zone != "Etc/UTC" {
                        bail!("{pp}.ScheduleExpressionTimezone: only UTC schedules run locally, got {zone}");
                    }
                }
                let state = self.opt_text(props, "State", &pp)?;
                let enabled = match (&state, self.opt_bool(props, "Enabled", &pp)?) {
                    (Some(state), _) => match state.as_str() {
                        "ENABLED" => true,
                        "DISABLED" => false,
                        other => bail!("{pp}.State: expected ENABLED or DISABLED, got {other}"),
                    },
                    (None, enabled) => enabled.unwrap_or(true),
                };
                EventSource::Schedule(ScheduleSource {
                    function: function.to_owned(),
                    name: name.to_owned(),
                    expression,
                    input: self.opt_text(props, "Input", &pp)?,
                    enabled,
                })
            }
            other => bail!("{path}: unsupported event type {other}"),
        };
        for warning in warnings {
            self.warn(warning);
        }
        Ok(source)
    }

    fn report_failures(&self, props: &Mapping, pp: &str) -> Result<bool> {
        let Some(value) = props.get("FunctionResponseTypes") else {
            return Ok(false);
        };
        let path = format!("{pp}.FunctionResponseTypes");
        let types = self.resolve_list(value, &path)?;
        for kind in &types {
            if kind != "ReportBatchItemFailures" {
                bail!("{path}: unknown response type {kind}");
            }
        }
        Ok(!types.is_empty())
    }

    /// `ScalingConfig.MaximumConcurrency` of an SQS event (Lambda accepts
    /// 2–1000); any other key of `ScalingConfig` is an error.
    fn sqs_scaling(&self, props: &Mapping, pp: &str) -> Result<Option<u32>> {
        let Some(value) = props.get("ScalingConfig") else {
            return Ok(None);
        };
        let path = format!("{pp}.ScalingConfig");
        let scaling = match self.resolve_value(value, &path)? {
            Value::Null => return Ok(None),
            Value::Mapping(scaling) => scaling,
            _ => bail!("{path}: expected a mapping"),
        };
        if let Some(unknown) = scaling
            .keys()
            .map(key_text)
            .find(|key| key != "MaximumConcurrency")
        {
            bail!("{path}.{unknown}: unknown setting");
        }
        self.opt_number(&scaling, "MaximumConcurrency", &path, 2..=1000)
    }

    fn filter_patterns(&self, props: &Mapping, pp: &str) -> Result<Vec<serde_json::Value>> {
        let Some(criteria) = props.get("FilterCriteria") else {
            return Ok(Vec::new());
        };
        let path = format!("{pp}.FilterCriteria");
        let criteria = self.resolve_value(criteria, &path)?;
        let filters = match criteria.get("Filters") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Sequence(filters)) => filters,
            Some(_) => bail!("{path}.Filters: expected a list"),
        };
        let mut patterns = Vec::with_capacity(filters.len());
        for (i, filter) in filters.iter().enumerate() {
            let pattern_path = format!("{path}.Filters[{i}].Pattern");
            let pattern = match filter.get("Pattern") {
                Some(Value::String(text)) => serde_json::from_str(text)
                    .map_err(|e| anyhow!("{pattern_path}: invalid JSON: {e}"))?,
                Some(value @ Value::Mapping(_)) => {
                    serde_json::to_value(value).map_err(|e| anyhow!("{pattern_path}: {e}"))?
                }
                _ => bail!("{pattern_path}: expected a JSON filter pattern"),
            };
            if !pattern.is_object() {
                bail!("{pattern_path}: a filter pattern must be a JSON object");
            }
            patterns.push(pattern);
        }
        Ok(patterns)
    }

    /// Checks that the table of every DynamoDB event has a stream.
    /// `DestinationConfig.OnFailure` of a stream mapping: the logical id of
    /// the queue that gets a record of each batch given up. Only SQS
    /// destinations run locally; any other is refused.
    fn on_failure_destination(&self, props: &Mapping, pp: &str) -> Result<Option<String>> {
        let path = format!("{pp}.DestinationConfig");
        let config = match props.get("DestinationConfig") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Mapping(config)) => config,
            Some(_) => bail!("{path}: expected a mapping"),
        };
        let on_failure = match config.get("OnFailure") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Mapping(on_failure)) => on_failure,
            Some(_) => bail!("{path}.OnFailure: expected a mapping"),
        };
        let path = format!("{path}.OnFailure");
        if let Some(kind) = self.opt_text(on_failure, "Type", &path)? {
            if kind != "SQS" {
                bail!("{path}.Type: only SQS on-failure destinations run locally, got {kind}");
            }
        }
        match on_failure.get("Destination") {
            Some(destination) => Ok(Some(self.target(
                destination,
                &format!("{path}.Destination"),
                &[QUEUE],
                &["Arn"],
                "a queue (!GetAtt Queue.Arn)",
            )?)),
            None => bail!("{path}.Destination: missing"),
        }
    }

    pub(super) fn check_stream_uses(&self, tables: &[TableDef]) -> Result<()> {
        for (path, table) in self.stream_uses.borrow().iter() {
            let has_stream = tables
                .iter()
                .any(|t: &TableDef| &t.logical_id == table && t.stream_view_type.is_some());
            if !has_stream {
                bail!("{path}.Stream: table {table} has no StreamSpecification");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::template::test_support::{ctx, error, events};
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
        let sources: Vec<_> = template
            .function("Fn")
            .unwrap()
            .sqs_sources()
            .cloned()
            .collect();
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
        for bad in [
            "{MaximumConcurrency: 1}",
            "{MaximumConcurrency: 1001}",
            "{MaximumConcurrency: lots}",
        ] {
            let message = error(&sqs(bad), &ctx());
            assert!(
                message.contains(
                    "Resources.Fn.Properties.Events.E.Properties.ScalingConfig.MaximumConcurrency: expected a whole number from 2 to 1000"
                ),
                "{bad}: {message}"
            );
        }
        let message = error(&sqs("{MaximumConcurrency: 2, Burst: 3}"), &ctx());
        assert!(
            message.contains(
                "Resources.Fn.Properties.Events.E.Properties.ScalingConfig.Burst: unknown setting"
            ),
            "{message}"
        );
        let template = parse(&sqs("{MaximumConcurrency: 1000}"), &ctx()).unwrap();
        let source = template
            .function("Fn")
            .unwrap()
            .sqs_sources()
            .next()
            .cloned();
        assert_eq!(source.and_then(|s| s.maximum_concurrency), Some(1000));
    }

    #[test]
    fn sqs_event_errors() {
        let message = error(
            &events("        E:\n          Type: SQS\n          Properties: {Queue: !GetAtt Table.Arn}\n"),
            &ctx(),
        );
        assert!(
            message.contains("Resources.Fn.Properties.Events.E.Properties.Queue: expected a queue"),
            "{message}"
        );
        let message = error(
            &events("        E:\n          Type: SQS\n          Properties: {Queue: !GetAtt Queue.Arn, FilterCriteria: {Filters: []}}\n"),
            &ctx(),
        );
        assert!(
            message.contains("Resources.Fn.Properties.Events.E.Properties.FilterCriteria"),
            "{message}"
        );
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
        let sources: Vec<_> = template
            .function("Fn")
            .unwrap()
            .stream_sources()
            .cloned()
            .collect();
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
        let message = error(
            &events(
                "        E:\n          Type: DynamoDB\n          Properties:\n            Stream: !GetAtt Table.StreamArn\n            StartingPosition: LATEST\n            FilterCriteria: {Filters: [{Pattern: '{not json'}]}\n",
            ),
            &ctx(),
        );
        assert!(
            message.contains("Resources.Fn.Properties.Events.E.Properties.FilterCriteria.Filters[0].Pattern: invalid JSON"),
            "{message}"
        );
        let message = error(
            &events("        E:\n          Type: DynamoDB\n          Properties: {Stream: !GetAtt Plain.StreamArn, StartingPosition: LATEST}\n"),
            &ctx(),
        );
        assert!(message.contains("Resources.Fn.Properties.Events.E.Properties.Stream: table Plain has no StreamSpecification"), "{message}");
        let message = error(
            &events("        E:\n          Type: DynamoDB\n          Properties: {Stream: !GetAtt Table.StreamArn}\n"),
            &ctx(),
        );
        assert!(message.contains("StartingPosition: missing"), "{message}");
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
        let schedules: Vec<_> = template
            .function("Fn")
            .unwrap()
            .schedules()
            .cloned()
            .collect();
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
        let message = error(
            &events("        Login:\n          Type: Foo\n          Properties: {}\n"),
            &ctx(),
        );
        assert!(
            message.contains("Resources.Fn.Properties.Events.Login: unsupported event type Foo"),
            "{message}"
        );
    }

    #[test]
    fn unhandled_event_settings_are_warnings() {
        let yaml = events(
            "        E:\n          Type: DynamoDB\n          Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: LATEST, ParallelizationFactor: 2}\n",
        );
        let template = parse(&yaml, &ctx()).unwrap();
        assert!(template.warnings.contains(
            &"Resources.Fn.Properties.Events.E.Properties.ParallelizationFactor: not applied locally".to_owned()
        ));
    }

    #[test]
    fn stream_failure_handling_is_read_and_other_destinations_are_refused() {
        let yaml = events(
            "        E:\n          Type: DynamoDB\n          Properties:\n            Stream: !GetAtt Table.StreamArn\n            StartingPosition: LATEST\n            BisectBatchOnFunctionError: true\n            MaximumRecordAgeInSeconds: 60\n            DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt Queue.Arn}}\n",
        );
        let template = parse(&yaml, &ctx()).unwrap();
        let source = template
            .function("Fn")
            .unwrap()
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
        let message = error(&sns, &ctx());
        assert!(
            message.contains("only SQS on-failure destinations run locally"),
            "{message}"
        );
        let young = yaml.replace(
            "MaximumRecordAgeInSeconds: 60",
            "MaximumRecordAgeInSeconds: 59",
        );
        let message = error(&young, &ctx());
        assert!(message.contains("expected -1 or 60–604800"), "{message}");
    }
}
