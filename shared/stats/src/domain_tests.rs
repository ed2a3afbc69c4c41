#![allow(clippy::unwrap_used)]

use super::*;
use serde_json::json;
use time::macros::datetime;

fn event(event_type: &str, data: Value, changes: Value) -> Value {
    let entity = event_type.split('.').next().unwrap();
    json!({"type": event_type, "entity": entity, "data": data, "changes": changes})
}

fn sorted(mut deltas: Vec<Delta>) -> Vec<Delta> {
    deltas.sort();
    deltas
}

fn d(name: &str, by: i64) -> Delta {
    (name.to_owned(), by)
}

#[test]
fn an_item_counts_when_created_and_deleted_and_moves_with_its_status() {
    let item = json!({"status": "active", "created_at": "2026-12-04T18:59:30.5Z"});
    assert_eq!(
        sorted(deltas(&event("item.created", item.clone(), json!({})))),
        [
            d("items.created#2026-12-04T18", 1),
            d("items.status#active", 1),
            d("items.total", 1)
        ]
    );
    assert_eq!(
        sorted(deltas(&event("item.deleted", item, json!({})))),
        [
            d("items.created#2026-12-04T18", -1),
            d("items.status#active", -1),
            d("items.total", -1)
        ]
    );
    let archived = event(
        "item.updated",
        json!({}),
        json!({"status": ["active", "archived"]}),
    );
    assert_eq!(
        sorted(deltas(&archived)),
        [d("items.status#active", -1), d("items.status#archived", 1)]
    );
    let renamed = event("item.updated", json!({}), json!({"name": ["a", "b"]}));
    assert!(deltas(&renamed).is_empty());
}

#[test]
fn an_approval_moves_between_statuses_and_its_workflows_pending_count() {
    let data = json!({"workflow_id": "wf-1"});
    let filed = event(
        "approval.created",
        data.clone(),
        json!({"status": [null, "PENDING"]}),
    );
    assert_eq!(
        sorted(deltas(&filed)),
        [
            d("approvals.pending#wf-1", 1),
            d("approvals.status#PENDING", 1)
        ]
    );
    let approved = event(
        "approval.approved",
        data.clone(),
        json!({"status": ["PENDING", "APPROVED"]}),
    );
    assert_eq!(
        sorted(deltas(&approved)),
        [
            d("approvals.pending#wf-1", -1),
            d("approvals.status#APPROVED", 1),
            d("approvals.status#PENDING", -1)
        ]
    );
    // A decision that leaves the request pending moves nothing.
    let step = event(
        "approval.approved",
        data.clone(),
        json!({"current_step": [0, 1]}),
    );
    assert!(deltas(&step).is_empty());
    // An escalated request is still open: it stays in the pending count
    // until it is decided.
    let escalated = event(
        "approval.escalated",
        data.clone(),
        json!({"status": ["PENDING", "ESCALATED"]}),
    );
    assert_eq!(
        sorted(deltas(&escalated)),
        [
            d("approvals.status#ESCALATED", 1),
            d("approvals.status#PENDING", -1)
        ]
    );
    let rejected = event(
        "approval.rejected",
        data,
        json!({"status": ["ESCALATED", "REJECTED"]}),
    );
    assert_eq!(
        sorted(deltas(&rejected)),
        [
            d("approvals.pending#wf-1", -1),
            d("approvals.status#ESCALATED", -1),
            d("approvals.status#REJECTED", 1)
        ]
    );
}

#[test]
fn users_count_when_registered_and_move_with_their_role() {
    let registered = event("user.registered", json!({"role": "user"}), json!({}));
    assert_eq!(
        sorted(deltas(&registered)),
        [d("users.role#user", 1), d("users.total", 1)]
    );
    let promoted = event(
        "user.role_changed",
        json!({}),
        json!({"role": ["user", "admin"]}),
    );
    assert_eq!(
        sorted(deltas(&promoted)),
        [d("users.role#admin", 1), d("users.role#user", -1)]
    );
    assert!(deltas(&event(
        "user.deactivated",
        json!({}),
        json!({"is_active": [true, false]})
    ))
    .is_empty());
    assert!(deltas(&event("session.login", json!({}), json!({}))).is_empty());
}

#[test]
fn the_dashboard_sums_the_last_24_hourly_buckets_and_leaves_out_empty_counts() {
    let now = datetime!(2026-12-04 18:30 UTC);
    let counters: BTreeMap<String, i64> = [
        ("items.total", 7),
        ("items.status#active", 4),
        ("items.status#archived", 3),
        ("items.created#2026-12-04T18", 2),
        ("items.created#2026-12-03T19", 1),
        // 24 hours before the current one: outside.
        ("items.created#2026-12-03T18", 5),
        ("approvals.status#PENDING", 2),
        ("approvals.status#CANCELLED", 0),
        ("approvals.pending#wf-1", 2),
        ("users.total", 3),
        ("users.role#admin", 1),
        ("users.role#user", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let dashboard = dashboard(&counters, now);
    assert_eq!(dashboard.items.total, 7);
    assert_eq!(dashboard.items.active, 4);
    assert_eq!(dashboard.items.created_last_24h, 3);
    assert_eq!(
        serde_json::to_value(&dashboard.approvals).unwrap(),
        json!({"by_status": {"PENDING": 2}, "pending_by_workflow": {"wf-1": 2}})
    );
    assert_eq!(dashboard.users.by_role.len(), 2);
    assert!(dashboard.jobs.by_status.is_empty());
    assert_eq!(hour(datetime!(2026-01-02 03:04 +02:00)), "2026-01-02T01");
}

#[test]
fn an_order_moves_its_count_and_total_between_statuses_within_the_day_it_was_placed() {
    // Placed at 23:30 at UTC-2: the next day in UTC.
    let order = json!({"total": 2500, "created_at": "2026-12-03T23:30:00-02:00"});
    let placed = event(
        "order.created",
        order.clone(),
        json!({"status": [null, "pending"]}),
    );
    assert_eq!(
        sorted(deltas(&placed)),
        [
            d("orders#2026-12-04#pending#count", 1),
            d("orders#2026-12-04#pending#revenue", 2500)
        ]
    );
    let cancelled = event(
        "order.status_changed",
        order.clone(),
        json!({"status": ["pending", "cancelled"]}),
    );
    assert_eq!(
        sorted(deltas(&cancelled)),
        [
            d("orders#2026-12-04#cancelled#count", 1),
            d("orders#2026-12-04#cancelled#revenue", 2500),
            d("orders#2026-12-04#pending#count", -1),
            d("orders#2026-12-04#pending#revenue", -2500)
        ]
    );
    let deleted = event(
        "order.deleted",
        order.clone(),
        json!({"status": ["cancelled", null]}),
    );
    assert_eq!(
        sorted(deltas(&deleted)),
        [
            d("orders#2026-12-04#cancelled#count", -1),
            d("orders#2026-12-04#cancelled#revenue", -2500)
        ]
    );
    let noted = event("order.updated", order, json!({"notes": ["", "gift"]}));
    assert!(deltas(&noted).is_empty());
    // A free order counts without moving revenue.
    let free = event(
        "order.created",
        json!({"total": 0, "created_at": "2026-12-04T10:00:00Z"}),
        json!({"status": [null, "pending"]}),
    );
    assert_eq!(deltas(&free), [d("orders#2026-12-04#pending#count", 1)]);
}

#[test]
fn a_sku_counts_as_low_from_its_low_stock_event_until_its_cleared_one() {
    let sku = |event_type: &str| json!({"type": event_type, "entity": "sku", "data": {}});
    assert_eq!(deltas(&sku("inventory.low_stock")), [d(LOW_STOCK, 1)]);
    assert_eq!(
        deltas(&sku("inventory.low_stock_cleared")),
        [d(LOW_STOCK, -1)]
    );
    assert!(deltas(&sku("inventory.adjusted")).is_empty());
}

#[test]
fn order_analytics_sum_a_range_of_days_and_leave_cancelled_orders_out_of_revenue() {
    let counters: BTreeMap<String, i64> = [
        ("orders#2026-12-01#pending#count", 2),
        ("orders#2026-12-01#pending#revenue", 300),
        ("orders#2026-12-03#cancelled#count", 1),
        ("orders#2026-12-03#cancelled#revenue", 1000),
        ("orders#2026-12-03#shipped#count", 1),
        ("orders#2026-12-03#shipped#revenue", 50),
        ("orders#2026-12-03#delivered#count", 0),
        ("orders#2026-12-03#delivered#revenue", 0),
        // Outside the range.
        ("orders#2026-11-30#pending#count", 9),
        ("orders#2026-11-30#pending#revenue", 900),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let from = time::macros::date!(2026 - 12 - 01);
    let to = time::macros::date!(2026 - 12 - 03);
    let analytics = order_analytics(&counters, 4, from, to);
    assert_eq!(
        serde_json::to_value(&analytics).unwrap(),
        json!({
            "from": "2026-12-01", "to": "2026-12-03",
            "orders": 4, "revenue": 350,
            "by_status": {
                "cancelled": {"orders": 1, "revenue": 1000},
                "pending": {"orders": 2, "revenue": 300},
                "shipped": {"orders": 1, "revenue": 50}
            },
            "by_day": [
                {"date": "2026-12-01", "orders": 2, "revenue": 300},
                {"date": "2026-12-02", "orders": 0, "revenue": 0},
                {"date": "2026-12-03", "orders": 2, "revenue": 50}
            ],
            "low_stock": 4
        })
    );
    assert_eq!(date_text(time::macros::date!(0987 - 01 - 02)), "0987-01-02");
}
