//! Metrics in CloudWatch's embedded metric format (EMF): each is one JSON
//! line on stdout, which CloudWatch Logs turns into metrics of the
//! `Opsflow` namespace as it ingests the function's log group — no API
//! call, no latency on the request
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>).
//! The namespace is `Opsflow/<env>` (`ENVIRONMENT`), so an environment's
//! alarms and dashboard read only its own metrics.
//!
//! Every metric has the dimension `Service` (the function's name,
//! `opsflow-<env>-<function>`); some also a second set with one more
//! dimension (`Route`, `Status`, `Result`, `Outcome`), so a dashboard can
//! show both the function's total and its parts.
//!
//! - API functions ([`request`], from `http::dispatch`): `Requests`,
//!   `Latency` (ms), `ClientErrors` (4xx), `ServerErrors` (5xx), by
//!   `Service` and by `Service` + `Route`.
//! - Business ([`count`]): `ApprovalsFiled`, `ApprovalsDecided`
//!   (`Outcome`), `AuditRecordsWritten`, `RuleRuns` (`Status`),
//!   `WebhookDeliveries` (`Result`), `Jobs` (`Result`).
//!
//! Lines are written only where Lambda's log format is JSON (deployed: the
//! template sets it), not under the local runtime, whose terminal shows
//! plain lines. Lambda's application log-level filter treats an EMF line as
//! INFO: with `LogLevel` warn or error the metrics are dropped with the
//! INFO lines.

use serde_json::{json, Map, Value};
use std::sync::OnceLock;
use time::OffsetDateTime;

/// The namespace of an environment's metrics.
pub fn namespace(environment: &str) -> String {
    format!("Opsflow/{environment}")
}

/// A metric's unit, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

/// One EMF document at `at` for `service`: `values` (name, unit, value)
/// under the dimension set `["Service"]` and, when `detail` names one,
/// `["Service", <detail's name>]` too.
pub fn document(
    namespace: &str,
    service: &str,
    detail: Option<(&str, &str)>,
    values: &[(&str, Unit, f64)],
    at: OffsetDateTime,
) -> Value {
    let mut dimensions = vec![json!(["Service"])];
    let mut line = Map::new();
    line.insert("Service".into(), json!(service));
    if let Some((name, value)) = detail {
        dimensions.push(json!(["Service", name]));
        line.insert(name.into(), json!(value));
    }
    let metrics: Vec<Value> = values
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit.as_str()}))
        .collect();
    for (name, _, value) in values {
        line.insert((*name).into(), json!(value));
    }
    let millis = at.unix_timestamp_nanos() / 1_000_000;
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": i64::try_from(millis).unwrap_or_default(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": dimensions,
                "Metrics": metrics,
            }],
        }),
    );
    Value::Object(line)
}

/// Where these metrics go — the namespace and the function they are about
/// — when they are written at all.
fn target() -> Option<&'static (String, String)> {
    static TARGET: OnceLock<Option<(String, String)>> = OnceLock::new();
    TARGET
        .get_or_init(|| {
            crate::telemetry::json_logs().then(|| {
                let environment = std::env::var("ENVIRONMENT").unwrap_or_else(|_| "dev".into());
                let service =
                    std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "opsflow".into());
                (namespace(&environment), service)
            })
        })
        .as_ref()
}

fn emit(detail: Option<(&str, &str)>, values: &[(&str, Unit, f64)]) {
    if let Some((namespace, service)) = target() {
        // A dimension's value may not be empty.
        let detail = detail.filter(|(_, value)| !value.is_empty());
        println!(
            "{}",
            document(
                namespace,
                service,
                detail,
                values,
                OffsetDateTime::now_utc()
            )
        );
    }
}

/// An API request answered: its route, status and time taken.
pub fn request(route: &str, status: u16, elapsed: std::time::Duration) {
    let flag = |hit: bool| if hit { 1.0 } else { 0.0 };
    emit(
        Some(("Route", route)),
        &[
            ("Requests", Unit::Count, 1.0),
            (
                "Latency",
                Unit::Milliseconds,
                elapsed.as_secs_f64() * 1000.0,
            ),
            (
                "ClientErrors",
                Unit::Count,
                flag((400..500).contains(&status)),
            ),
            ("ServerErrors", Unit::Count, flag(status >= 500)),
        ],
    );
}

/// `n` of a business metric `name`, by `detail` (`("Result", "failed")`)
/// when given.
pub fn count(name: &str, n: u64, detail: Option<(&str, &str)>) {
    if n > 0 {
        emit(detail, &[(name, Unit::Count, n as f64)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_declares_its_metrics_under_the_service_and_the_detail() {
        let at = OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(1_700_000_000_123);
        let line = document(
            &namespace("dev"),
            "opsflow-dev-users",
            Some(("Route", "GET /api/v1/users")),
            &[
                ("Requests", Unit::Count, 1.0),
                ("Latency", Unit::Milliseconds, 12.5),
            ],
            at,
        );
        assert_eq!(
            line,
            json!({
                "_aws": {
                    "Timestamp": 1_700_000_000_123_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "Opsflow/dev",
                        "Dimensions": [["Service"], ["Service", "Route"]],
                        "Metrics": [
                            {"Name": "Requests", "Unit": "Count"},
                            {"Name": "Latency", "Unit": "Milliseconds"}
                        ]
                    }]
                },
                "Service": "opsflow-dev-users",
                "Route": "GET /api/v1/users",
                "Requests": 1.0,
                "Latency": 12.5
            })
        );
        let plain = document(
            "Opsflow/dev",
            "svc",
            None,
            &[("Jobs", Unit::Count, 2.0)],
            at,
        );
        assert_eq!(
            plain["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Service"]])
        );
    }
}
