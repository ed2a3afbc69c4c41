//! One JSON object per log line, as Lambda's JSON log format and
//! CloudWatch Logs Insights read it:
//!
//! ```json
//! {"timestamp": "2026-12-06T00:41:07.214Z", "level": "WARN", "message": "…",
//!  "function_request_id": "…", "xray_trace_id": "Root=1-…", "cold_start": false,
//!  "request_id": "…", "correlation_id": "…", "route": "GET /api/v1/users", …}
//! ```
//!
//! - `timestamp` (RFC 3339, UTC, milliseconds) and `level`: without a valid
//!   timestamp Lambda files a line at INFO whatever its level, so a WARN
//!   or ERROR could be dropped by the function's log-level filter
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html>).
//! - The fields of every span the line is logged in, outermost first: the
//!   runtime's invocation span gives `function_request_id` and
//!   `xray_trace_id` (its `requestId` and `xrayTraceId`, renamed), the
//!   kernel's spans `request_id`, `correlation_id` and the like; then the
//!   event's own fields and its `message`.
//! - `cold_start`: whether the line belongs to the process's first
//!   invocation (or to its start, before any).

use serde_json::{Map, Value};
use std::fmt;
use std::sync::OnceLock;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The formatter of JSON lines.
#[derive(Debug, Default)]
pub struct JsonLine {
    /// The first invocation's request id, once one was seen.
    first_invocation: OnceLock<String>,
}

/// Span fields that read better under another name.
fn renamed(field: &str) -> &str {
    match field {
        "requestId" => "function_request_id",
        "xrayTraceId" => "xray_trace_id",
        "tenantId" => "tenant_id",
        other => other,
    }
}

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = Map::new();
        line.insert("timestamp".into(), Value::String(timestamp()));
        line.insert(
            "level".into(),
            Value::String(event.metadata().level().as_str().to_owned()),
        );
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else {
                    continue;
                };
                // The spans' fields are kept as JSON objects (`JsonFields`).
                if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields) {
                    for (name, value) in fields {
                        line.insert(renamed(&name).to_owned(), value);
                    }
                }
            }
        }
        let mut visitor = Fields(&mut line);
        event.record(&mut visitor);
        let cold = match line.get("function_request_id").and_then(Value::as_str) {
            Some(id) => self.first_invocation.get_or_init(|| id.to_owned()) == id,
            None => self.first_invocation.get().is_none(),
        };
        line.insert("cold_start".into(), Value::Bool(cold));
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// Now, as RFC 3339 in UTC with milliseconds.
fn timestamp() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

/// An event's fields as JSON values; its `message` as text.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let value = serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number);
        self.0.insert(field.name().into(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().into(), Value::String(value.into()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().into(), Value::String(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::format::JsonFields;
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    /// The lines logged by `log`, parsed.
    fn lines_of(log: impl FnOnce()) -> Vec<Value> {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(JsonFields::new())
            .event_format(JsonLine::default())
            .with_writer(captured.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn a_line_carries_time_level_invocation_request_and_its_own_fields() {
        let lines = lines_of(|| {
            tracing::info!("starting");
            for request in ["req-1", "req-2"] {
                let invocation = tracing::info_span!(
                    "Lambda runtime invoke",
                    requestId = request,
                    xrayTraceId = "Root=1-5e1b4151-5ac6c58f5b5daa6532e4b1f8"
                );
                let _invocation = invocation.enter();
                let api =
                    tracing::info_span!("request", request_id = "api-1", correlation_id = "c-9");
                let _api = api.enter();
                tracing::warn!(status = 503_u16, retry = true, "slow down");
            }
        });
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["message"], "starting");
        assert_eq!(
            lines[0]["cold_start"], true,
            "the start belongs to the cold start"
        );
        let line = &lines[1];
        let timestamp = line["timestamp"].as_str().unwrap();
        assert!(time::OffsetDateTime::parse(
            timestamp,
            &time::format_description::well_known::Rfc3339
        )
        .is_ok());
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "slow down");
        assert_eq!(line["function_request_id"], "req-1");
        assert_eq!(
            line["xray_trace_id"],
            "Root=1-5e1b4151-5ac6c58f5b5daa6532e4b1f8"
        );
        assert_eq!(line["request_id"], "api-1");
        assert_eq!(line["correlation_id"], "c-9");
        assert_eq!(
            (line["status"].as_u64(), line["retry"].as_bool()),
            (Some(503), Some(true))
        );
        assert_eq!(line["cold_start"], true);
        assert_eq!(lines[2]["function_request_id"], "req-2");
        assert_eq!(lines[2]["cold_start"], false);
    }

    #[test]
    fn a_consumers_lines_about_a_message_name_its_event() {
        let mut message = aws_lambda_events::event::sqs::SqsMessage::default();
        message.message_id = Some("m-1".into());
        message.body = Some(
            serde_json::json!({"id": "e-7", "type": "approval.created", "correlation_id": "c-3"})
                .to_string(),
        );
        let mut not_an_event = aws_lambda_events::event::sqs::SqsMessage::default();
        not_an_event.message_id = Some("m-2".into());
        not_an_event.body = Some("not json".into());
        let lines = lines_of(|| {
            for message in [&message, &not_an_event] {
                let span = crate::pipeline::consumer::message_span(message);
                let _in_message = span.enter();
                tracing::info!("handled");
            }
        });
        assert_eq!(lines[0]["message_id"], "m-1");
        assert_eq!(lines[0]["event_id"], "e-7");
        assert_eq!(lines[0]["event_type"], "approval.created");
        assert_eq!(lines[0]["correlation_id"], "c-3");
        assert_eq!(lines[1]["message_id"], "m-2");
        assert_eq!(lines[1]["event_id"], "");
    }
}
