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
use yaml_serde::{Mapping, Value};

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
#[path = "events_tests.rs"]
mod tests;
