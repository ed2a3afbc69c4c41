//! Schedules (`Schedule` and `ScheduleV2` events): EventBridge's
//! `rate(…)` and `cron(…)` expressions, firing `aws.events` "Scheduled
//! Event" payloads (or the event's `Input`) at the function.
//!
//! Invariant: a schedule fires only while its mapping runs, and an
//! expression that does not parse starts nothing.

use super::Wiring;
use crate::template::ScheduleSource;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::str::FromStr;
use std::time::Duration;

/// When a schedule fires.
#[derive(Debug, Clone)]
pub enum Every {
    Rate(Duration),
    Cron(Box<cron::Schedule>),
}

/// Parses `rate(5 minutes)` or `cron(0 12 * * ? *)` (EventBridge's six
/// fields: minutes, hours, day of month, month, day of week, year).
pub fn parse(expression: &str) -> anyhow::Result<Every> {
    let expression = expression.trim();
    if let Some(inner) = expression
        .strip_prefix("rate(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let mut parts = inner.split_whitespace();
        let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            anyhow::bail!("{expression}: expected rate(<value> <unit>)");
        };
        let value: u64 = value.parse().map_err(|_| {
            anyhow::anyhow!("{expression}: the rate must be a positive whole number")
        })?;
        let seconds = match (unit, value) {
            (_, 0) => anyhow::bail!("{expression}: the rate must be positive"),
            ("minute", 1) | ("hour", 1) | ("day", 1) => unit_seconds(unit),
            ("minutes", _) | ("hours", _) | ("days", _) if value > 1 => {
                unit_seconds(unit.trim_end_matches('s'))
            }
            _ => anyhow::bail!(
                "{expression}: use minute/hour/day for 1 and minutes/hours/days otherwise"
            ),
        };
        return Ok(Every::Rate(Duration::from_secs(value * seconds)));
    }
    if let Some(inner) = expression
        .strip_prefix("cron(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let fields: Vec<&str> = inner.split_whitespace().collect();
        if fields.len() != 6 {
            anyhow::bail!("{expression}: cron needs 6 fields (minutes hours day-of-month month day-of-week year)");
        }
        // The `cron` crate wants seconds first and has no `?`.
        let converted: Vec<String> = fields
            .iter()
            .map(|f| {
                if *f == "?" {
                    "*".to_owned()
                } else {
                    (*f).to_owned()
                }
            })
            .collect();
        let schedule = cron::Schedule::from_str(&format!("0 {}", converted.join(" ")))
            .map_err(|e| anyhow::anyhow!("{expression}: {e}"))?;
        return Ok(Every::Cron(Box::new(schedule)));
    }
    anyhow::bail!("{expression}: expected rate(…) or cron(…)")
}

fn unit_seconds(unit: &str) -> u64 {
    match unit {
        "minute" => 60,
        "hour" => 3600,
        _ => 86_400,
    }
}

impl Every {
    /// How long from `now` until the next firing.
    pub fn until_next(&self, now: DateTime<Utc>) -> Duration {
        match self {
            Every::Rate(period) => *period,
            Every::Cron(schedule) => schedule
                .after(&now)
                .next()
                .and_then(|next| (next - now).to_std().ok())
                .unwrap_or(Duration::from_secs(3600)),
        }
    }
}

/// The event EventBridge sends for a scheduled rule.
pub fn scheduled_event(rule: &str, region: &str, account: &str, at: DateTime<Utc>) -> Value {
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": region,
        "resources": [format!("arn:aws:events:{region}:{account}:rule/{rule}")],
        "detail": {},
    })
}

/// Fires on schedule until the wiring's shutdown turns true.
pub async fn run(source: ScheduleSource, region: String, account: String, mut wiring: Wiring) {
    if !source.enabled {
        return;
    }
    let every = match parse(&source.expression) {
        Ok(every) => every,
        Err(error) => {
            tracing::error!(function = %source.function, error = %error, "schedule not started");
            return;
        }
    };
    loop {
        let wait = every.until_next(Utc::now());
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wiring.shutdown.changed() => return,
        }
        let payload = match &source.input {
            Some(input) => input.clone().into_bytes(),
            None => scheduled_event(&source.name, &region, &account, Utc::now())
                .to_string()
                .into_bytes(),
        };
        let outcome = wiring.invoker.invoke(&source.function, payload).await;
        tracing::info!(function = %source.function, schedule = %source.expression, outcome = ?std::mem::discriminant(&outcome), "schedule fired");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rates_parse_with_their_units() {
        assert!(
            matches!(parse("rate(1 minute)"), Ok(Every::Rate(d)) if d == Duration::from_secs(60))
        );
        assert!(
            matches!(parse("rate(5 minutes)"), Ok(Every::Rate(d)) if d == Duration::from_secs(300))
        );
        assert!(
            matches!(parse("rate(2 hours)"), Ok(Every::Rate(d)) if d == Duration::from_secs(7200))
        );
        for bad in [
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(0 minutes)",
            "rate(x minutes)",
            "every minute",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cron_expressions_use_eventbridge_fields() {
        let every = parse("cron(0 12 * * ? *)").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 11, 30, 0).unwrap();
        assert_eq!(every.until_next(now), Duration::from_secs(30 * 60));
        assert!(parse("cron(0 12 * *)").is_err());
    }

    #[test]
    fn scheduled_events_look_like_eventbridge() {
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
        let event = scheduled_event("Tick", "us-east-1", "123456789012", at);
        assert_eq!(event["detail-type"], "Scheduled Event");
        assert_eq!(event["source"], "aws.events");
        assert_eq!(event["time"], "2026-11-22T09:00:00Z");
        assert_eq!(
            event["resources"][0],
            "arn:aws:events:us-east-1:123456789012:rule/Tick"
        );
    }
}
