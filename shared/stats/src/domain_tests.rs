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
    let step = event("approval.approved", data, json!({"current_step": [0, 1]}));
    assert!(deltas(&step).is_empty());
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
