//! What the dashboard counts, and how each event moves the counts: a pure
//! function from an event envelope to counter deltas ([`deltas`]), and
//! from the counters back to the dashboard ([`dashboard`]).
//!
//! Invariant: applying every committed event's deltas once gives the same
//! counts as recounting the entities as they are. Events are read only for
//! what they say happened: an entity's creation and deletion (with its
//! status or role), and a `changes` entry of `status` or `role`
//! (`[before, after]`; `before` is `null` for a creation).
//!
//! Counters (names within the `STATS` partition):
//! - `items.total`, `items.status#<status>`, `items.created#<hour>` (an
//!   hour is `YYYY-MM-DDTHH` in UTC: "created in the last 24 hours" sums
//!   the 24 hourly buckets up to the current one);
//! - `approvals.status#<STATUS>`, `approvals.pending#<workflow id>`;
//! - `users.total`, `users.role#<role>`;
//! - `jobs.status#<status>`;
//! - `inventory.low_stock`: SKUs on the low-stock list (`inventory.low_stock`
//!   puts one on, `inventory.low_stock_cleared` takes it off);
//! - `orders#<day>#<status>#count` and `…#revenue` (minor units): orders
//!   placed on `<day>` (`YYYY-MM-DD`, UTC) that are in `<status>` now, and
//!   their totals. A status change moves an order within the day it was
//!   placed; a deletion takes it out. These live in a partition of their
//!   own (`store::keys::counter_key`), read by a range of days.

use crate::view::{Dashboard, DayFigures, OrderAnalytics};
use serde_json::Value;
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime};

/// One counter's change.
pub type Delta = (String, i64);

/// The hour bucket of a time: `YYYY-MM-DDTHH` (UTC).
pub fn hour(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour()
    )
}

fn text<'a>(value: &'a Value, field: &str) -> Option<&'a str> {
    value.get(field).and_then(Value::as_str)
}

/// `changes.<field>` as `(before, after)`, if the event changed it.
fn changed<'a>(envelope: &'a Value, field: &str) -> Option<(Option<&'a str>, Option<&'a str>)> {
    let pair = envelope.get("changes")?.get(field)?.as_array()?;
    match pair.as_slice() {
        [before, after] => Some((before.as_str(), after.as_str())),
        _ => None,
    }
}

/// `counter` one down from `before` and one up to `after` (either absent).
fn moved(prefix: &str, before: Option<&str>, after: Option<&str>) -> Vec<Delta> {
    let mut deltas = Vec::new();
    if before == after {
        return deltas;
    }
    if let Some(before) = before {
        deltas.push((format!("{prefix}#{before}"), -1));
    }
    if let Some(after) = after {
        deltas.push((format!("{prefix}#{after}"), 1));
    }
    deltas
}

/// The counter of SKUs on the low-stock list.
pub const LOW_STOCK: &str = "inventory.low_stock";
/// The prefix of the orders' counters by day.
pub const ORDERS: &str = "orders#";

/// The day bucket of a time: `YYYY-MM-DD` (UTC).
pub fn day(at: OffsetDateTime) -> String {
    date_text(at.to_offset(time::UtcOffset::UTC).date())
}

/// `YYYY-MM-DD`.
pub fn date_text(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// An order event's moves: its count and total, from the status it left
/// to the one it entered, within the day it was placed.
fn order_deltas(envelope: &Value, data: &Value) -> Vec<Delta> {
    let Some((before, after)) = changed(envelope, "status") else {
        return Vec::new();
    };
    let placed = text(data, "created_at").and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
    let (Some(placed), Some(total)) = (placed, data.get("total").and_then(Value::as_i64)) else {
        return Vec::new();
    };
    let bucket = format!("{ORDERS}{}", day(placed));
    let mut deltas = moved(&bucket, before, after);
    let revenue: Vec<Delta> = deltas
        .iter()
        .map(|(counter, sign)| (format!("{counter}#revenue"), sign * total))
        .collect();
    for (counter, _) in &mut deltas {
        counter.push_str("#count");
    }
    deltas.extend(revenue.into_iter().filter(|(_, by)| *by != 0));
    deltas
}

/// What `envelope` (an event as the queues carry it) changes in the
/// counts; empty for events that count nothing.
pub fn deltas(envelope: &Value) -> Vec<Delta> {
    let event_type = text(envelope, "type").unwrap_or_default();
    let data = envelope.get("data").unwrap_or(&Value::Null);
    match (text(envelope, "entity").unwrap_or_default(), event_type) {
        ("item", "item.created") | ("item", "item.deleted") => {
            let sign = if event_type == "item.created" { 1 } else { -1 };
            let mut deltas = vec![("items.total".to_owned(), sign)];
            if let Some(status) = text(data, "status") {
                deltas.push((format!("items.status#{status}"), sign));
            }
            let created =
                text(data, "created_at").and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
            if let Some(created) = created {
                deltas.push((format!("items.created#{}", hour(created)), sign));
            }
            deltas
        }
        ("item", _) => changed(envelope, "status")
            .map(|(before, after)| moved("items.status", before, after))
            .unwrap_or_default(),
        ("approval", _) => {
            let Some((before, after)) = changed(envelope, "status") else {
                return Vec::new();
            };
            let mut deltas = moved("approvals.status", before, after);
            if let Some(workflow) = text(data, "workflow_id") {
                // Open: pending, or escalated (still waiting on a step).
                let pending =
                    |status: Option<&str>| matches!(status, Some("PENDING" | "ESCALATED"));
                if pending(before) && !pending(after) {
                    deltas.push((format!("approvals.pending#{workflow}"), -1));
                }
                if pending(after) && !pending(before) {
                    deltas.push((format!("approvals.pending#{workflow}"), 1));
                }
            }
            deltas
        }
        ("user", "user.registered") => {
            let mut deltas = vec![("users.total".to_owned(), 1)];
            if let Some(role) = text(data, "role") {
                deltas.push((format!("users.role#{role}"), 1));
            }
            deltas
        }
        ("user", _) => changed(envelope, "role")
            .map(|(before, after)| moved("users.role", before, after))
            .unwrap_or_default(),
        ("job", _) => changed(envelope, "status")
            .map(|(before, after)| moved("jobs.status", before, after))
            .unwrap_or_default(),
        ("sku", "inventory.low_stock") => vec![(LOW_STOCK.to_owned(), 1)],
        ("sku", "inventory.low_stock_cleared") => vec![(LOW_STOCK.to_owned(), -1)],
        ("order", _) => order_deltas(envelope, data),
        _ => Vec::new(),
    }
}

/// The dashboard the counters (name → count) show at `now`.
pub fn dashboard(counters: &BTreeMap<String, i64>, now: OffsetDateTime) -> Dashboard {
    let mut dashboard = Dashboard::default();
    let window: Vec<String> = (0..24).map(|h| hour(now - Duration::hours(h))).collect();
    for (name, count) in counters {
        let count = *count;
        let (group, key) = name.split_once('#').unwrap_or((name.as_str(), ""));
        match group {
            "items.total" => dashboard.items.total = count,
            "items.status" if key == "active" => dashboard.items.active = count,
            "items.created" if window.iter().any(|h| h == key) => {
                dashboard.items.created_last_24h += count;
            }
            "jobs.status" if count != 0 => {
                dashboard.jobs.by_status.insert(key.to_owned(), count);
            }
            "approvals.status" if count != 0 => {
                dashboard.approvals.by_status.insert(key.to_owned(), count);
            }
            "approvals.pending" if count != 0 => {
                dashboard
                    .approvals
                    .pending_by_workflow
                    .insert(key.to_owned(), count);
            }
            "users.total" => dashboard.users.total = count,
            "users.role" if count != 0 => {
                dashboard.users.by_role.insert(key.to_owned(), count);
            }
            _ => {}
        }
    }
    dashboard
}

/// The order analytics of the days `from..=to` from their counters
/// (name → count, as [`deltas`] names them) and the low-stock count.
/// Revenue leaves out cancelled orders; every day of the range is listed,
/// oldest first, those without orders as zeros.
pub fn order_analytics(
    counters: &BTreeMap<String, i64>,
    low_stock: i64,
    from: Date,
    to: Date,
) -> OrderAnalytics {
    let mut analytics = OrderAnalytics {
        from: date_text(from),
        to: date_text(to),
        low_stock,
        ..OrderAnalytics::default()
    };
    let mut days: BTreeMap<String, DayFigures> = BTreeMap::new();
    let mut date = from;
    while date <= to {
        let figures = DayFigures {
            date: date_text(date),
            ..DayFigures::default()
        };
        days.insert(date_text(date), figures);
        let Some(next) = date.next_day() else { break };
        date = next;
    }
    for (name, value) in counters {
        let Some(rest) = name.strip_prefix(ORDERS) else {
            continue;
        };
        let mut parts = rest.splitn(3, '#');
        let (Some(day), Some(status), Some(measure)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Some(figures) = days.get_mut(day) else {
            continue;
        };
        let of_status = analytics.by_status.entry(status.to_owned()).or_default();
        let earned = status != "cancelled";
        match measure {
            "count" => {
                of_status.orders += value;
                figures.orders += value;
                analytics.orders += value;
            }
            "revenue" => {
                of_status.revenue += value;
                if earned {
                    figures.revenue += value;
                    analytics.revenue += value;
                }
            }
            _ => {}
        }
    }
    analytics
        .by_status
        .retain(|_, figures| figures.orders != 0 || figures.revenue != 0);
    analytics.by_day = days.into_values().collect();
    analytics
}

#[cfg(test)]
#[path = "domain_tests.rs"]
mod tests;
