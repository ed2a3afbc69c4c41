//! A batch's events run side by side, those about one entity in order:
//! the runs' own times show it. A full batch (ten events, each matching
//! twenty rules) runs in one `run_batch` call with every run recorded. Its
//! duration is not asserted: timings belong to `make bench`, where a loaded
//! test machine cannot turn them into false failures.

use super::{batch, id_of, World};
use opsflow_automation::store::runs::{RunRecord, RunStatus};
use opsflow_automation::store::RunStore;
use opsflow_platform::domain::EntityId;
use opsflow_platform::events::{Actor, Envelope};
use serde_json::{json, Value};

#[tokio::test]
async fn ten_events_matching_twenty_rules_each_run_in_one_batch() {
    let world = World::new().await;
    let rules = note_rules(&world, 20).await;
    let events: Vec<Value> = (0..10).map(|_| placed(EntityId::new())).collect();
    let messages = batch(&events.iter().collect::<Vec<_>>());

    let response = world.runner(None).run_batch(&messages).await;

    assert!(response.batch_item_failures.is_empty());
    let store = world.store();
    for event in &events {
        for rule in &rules {
            let run = store.run_of(&id_of(event), rule).await.unwrap();
            assert_eq!(run.map(|r| r.status), Some(RunStatus::Succeeded));
        }
    }
    assert_eq!(world.events_of_type("automation.logged").await.len(), 200);
}

/// `count` rules that log every placed order; their ids.
async fn note_rules(world: &World, count: usize) -> Vec<EntityId> {
    let mut rules = Vec::new();
    for n in 0..count {
        let rule = json!({
            "name": format!("Note placed orders {n}"),
            "trigger": "order.placed",
            "actions": [{"type": "log", "message": format!("order noted by rule {n}")}],
        });
        rules.push(world.rule(rule).await);
    }
    rules
}

/// An `order.placed` event about `order`.
fn placed(order: EntityId) -> Value {
    let event = Envelope::new(
        "order.placed",
        "order",
        order,
        Actor::system(),
        "corr-orders",
        json!({"id": order.to_string()}),
    );
    serde_json::to_value(event).unwrap()
}

#[tokio::test]
async fn events_about_one_entity_run_in_arrival_order_and_others_side_by_side() {
    let world = World::new().await;
    let rules = note_rules(&world, 4).await;
    let (first, second) = (EntityId::new(), EntityId::new());
    // Interleaved: first, second, first, second, …
    let events: Vec<Value> = (0..6)
        .map(|n| placed(if n % 2 == 0 { first } else { second }))
        .collect();

    let response = world
        .runner(None)
        .run_batch(&batch(&events.iter().collect::<Vec<_>>()))
        .await;

    assert!(response.batch_item_failures.is_empty());
    let store = world.store();
    let mut spans: Vec<Vec<RunRecord>> = Vec::new();
    for event in &events {
        let mut runs = Vec::new();
        for rule in &rules {
            runs.push(store.run_of(&id_of(event), rule).await.unwrap().unwrap());
        }
        spans.push(runs);
    }
    let start = |n: usize| spans[n].iter().map(|r| r.started_at).min().unwrap();
    let end = |n: usize| spans[n].iter().map(|r| r.finished_at).max().unwrap();
    // One entity's events: each one's runs end before the next one's begin.
    for same in [[0, 2, 4], [1, 3, 5]] {
        for pair in same.windows(2) {
            assert!(
                end(pair[0]) <= start(pair[1]),
                "event {} ran before event {} had finished",
                pair[1],
                pair[0]
            );
        }
    }
    // The two entities' events ran at the same time.
    let overlap = |a: usize, b: usize| start(a) < end(b) && start(b) < end(a);
    assert!(
        [0, 2, 4]
            .iter()
            .any(|&a| [1, 3, 5].iter().any(|&b| overlap(a, b))),
        "the two orders' events ran one after the other"
    );
}
