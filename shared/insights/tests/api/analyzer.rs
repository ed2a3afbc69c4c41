//! The analyzer on DynamoDB Local: an unusual request from a new
//! requester is scored HIGH with its factors, shown on the approval and
//! raised as an insight; usual ones stay LOW; redelivered events move no
//! statistic twice; an approval that ends resolves its insight; an event
//! that arrives before its approval's filing waits for it.

use crate::{analyze, batch, file, lane_events};
use opsflow_insights::pipeline::analyzer::analyze_batch;
use opsflow_insights::store::{InsightStore, StatisticsStore};
use opsflow_platform::domain::{EntityId, Role};
use serde_json::{json, Value};

/// Amounts of a workflow's usual requests: 120 to about 1,000.
pub(crate) fn usual_amount(n: usize) -> f64 {
    120.0 + ((n * 37) % 23) as f64 * 40.0
}

pub(crate) async fn risk_of(env: &crate::helpers::TestEnv, id: &str) -> Value {
    let store = env.owned_app().store;
    let record = store_approval(&store, id).await;
    serde_json::to_value(record.risk).unwrap()
}

async fn store_approval(
    store: &opsflow_platform::store::Store,
    id: &str,
) -> opsflow_approvals::store::approvals::ApprovalRecord {
    use opsflow_approvals::store::ApprovalStore;
    store
        .approval_with_decisions(&EntityId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap()
        .0
}

#[tokio::test]
async fn an_unusual_request_from_a_new_requester_is_high_and_explained() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let regular = env.account("regular", Role::User).await;
    let newcomer = env.account("newcomer", Role::User).await;
    let workflow = env.active_workflow(&admin, "Purchases").await;
    let mut usual = Vec::new();
    for n in 0..12 {
        let payload = json!({"vendor": format!("Vendor {}", n % 3), "cost_center": "OPS"});
        usual.push(file(&env, &regular, &workflow, usual_amount(n), payload).await);
    }
    // One by one, in the order they were filed.
    for event in lane_events(&env).await {
        analyze(&env, &[event]).await;
    }
    let unusual = file(
        &env,
        &newcomer,
        &workflow,
        48_000.0,
        json!({"vendor": "Unknown Ltd", "wire_to": "offshore"}),
    )
    .await;
    analyze(&env, &lane_events(&env).await).await;

    // The approval carries its risk, with the factors behind it.
    let risk = risk_of(&env, &unusual).await;
    let score = risk["score"].as_f64().unwrap();
    assert!(score >= 0.7, "{risk}");
    assert!(
        matches!(risk["level"].as_str(), Some("HIGH" | "CRITICAL")),
        "{risk}"
    );
    let factors: Vec<&str> = risk["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(factors[..2], ["amount", "new_requester"], "{risk}");
    assert!(factors.contains(&"new_fields"), "{risk}");
    // The last usual request, from a regular requester, is LOW.
    let last = risk_of(&env, usual.last().unwrap()).await;
    assert_eq!(last["level"], "LOW", "{last}");

    // The view shows it where the approver decides, and the event that
    // recorded it carries it for rules.
    let store = env.owned_app().store;
    let scored = env.events_of_type("approval.risk_scored").await;
    let about: Vec<&Value> = scored
        .iter()
        .filter(|e| e["entity_id"] == unusual.as_str())
        .collect();
    assert_eq!(about.len(), 1);
    assert_eq!(about[0]["data"]["risk"]["score"].as_f64(), Some(score));
    assert_eq!(about[0]["actor"]["id"], "system");
    let record = store_approval(&store, &unusual).await;
    assert_eq!(record.version, 1, "recording a risk moves no version");

    // Two insights: the regular requester's first request (MEDIUM: a
    // first request), and the unusual one, open, with every factor.
    let insights = env.events_of_type("insight.created").await;
    let raised: Vec<&str> = insights
        .iter()
        .map(|e| e["data"]["entity_id"].as_str().unwrap())
        .collect();
    assert_eq!(raised.len(), 2, "{raised:?}");
    assert!(raised.contains(&usual[0].as_str()) && raised.contains(&unusual.as_str()));
    let insight = &insights
        .iter()
        .find(|e| e["data"]["entity_id"] == unusual.as_str())
        .unwrap()["data"];
    assert_eq!(insight["entity_id"], unusual.as_str());
    assert_eq!(insight["workflow_id"], workflow.as_str());
    assert_eq!(insight["status"], "open");
    assert_eq!(insight["factors"].as_array().unwrap().len(), 7);
    let sum: f64 = insight["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["contribution"].as_f64().unwrap())
        .sum();
    assert!((sum - insight["risk_score"].as_f64().unwrap()).abs() < 1e-9);
    let id = EntityId::parse(insight["id"].as_str().unwrap()).unwrap();
    assert!(store.insight_by_id(&id).await.unwrap().is_some());
}

#[tokio::test]
async fn redelivered_events_never_count_twice() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let requester = env.account("requester", Role::User).await;
    let workflow = env.active_workflow(&admin, "Purchases").await;
    for n in 0..6 {
        file(
            &env,
            &requester,
            &workflow,
            usual_amount(n),
            json!({"vendor": "A"}),
        )
        .await;
    }
    let events = lane_events(&env).await;
    analyze(&env, &events).await;
    // Every event again, twice at once, and once more in one batch.
    let store = env.owned_app().store;
    let messages = batch(&events);
    let (first, second) = tokio::join!(
        analyze_batch(&store, &messages),
        analyze_batch(&store, &messages)
    );
    assert!(first.batch_item_failures.is_empty() && second.batch_item_failures.is_empty());
    analyze(&env, &events).await;

    let stats = store.workflow_stats(&workflow).await.unwrap();
    assert_eq!(stats.requests, 6);
    assert_eq!(stats.amounts.total(), 6);
    assert_eq!(stats.fields.iter().collect::<Vec<_>>(), ["vendor"]);
    let history = store
        .requester_history(&requester.id, opsflow_platform::clock::now())
        .await
        .unwrap();
    assert_eq!((history.filed, history.filed_last_day), (6, 6));
    assert_eq!(env.events_of_type("approval.risk_scored").await.len(), 6);
}

#[tokio::test]
async fn an_approval_that_ends_resolves_its_insight_and_counts_for_its_requester() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let newcomer = env.account("newcomer", Role::User).await;
    let workflow = env.active_workflow(&admin, "Purchases").await;
    // A first request: its requester is new, so it is MEDIUM at least.
    let id = file(&env, &newcomer, &workflow, 500.0, json!({})).await;
    analyze(&env, &lane_events(&env).await).await;
    let created = env.events_of_type("insight.created").await;
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["data"]["risk_level"], "MEDIUM");

    let reply = crate::helpers::Call::new("approvals/patch")
        .resource_id("approvals", &id)
        .by(&approver)
        .body(json!({"status": "REJECTED", "comment": "Not budgeted"}));
    assert_eq!(env.call(reply).await.status, 200);
    analyze(&env, &lane_events(&env).await).await;

    let resolved = env.events_of_type("insight.resolved").await;
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    assert_eq!(resolved[0]["data"]["status"], "resolved");
    assert_eq!(resolved[0]["data"]["note"], "The request ended: REJECTED.");
    assert_eq!(resolved[0]["actor"]["id"], "system");
    let store = env.owned_app().store;
    let history = store
        .requester_history(&newcomer.id, opsflow_platform::clock::now())
        .await
        .unwrap();
    assert_eq!(
        (history.filed, history.decided, history.rejected),
        (1, 1, 1)
    );
    let stats = store.workflow_stats(&workflow).await.unwrap();
    assert_eq!(stats.usual_step(0).1, 1, "the decided step is counted");
}

#[tokio::test]
async fn an_event_before_its_filing_is_scored_waits_for_it() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let requester = env.account("requester", Role::User).await;
    let workflow = env.active_workflow(&admin, "Purchases").await;
    let id = file(&env, &requester, &workflow, 300.0, json!({})).await;
    let approve = crate::helpers::Call::new("approvals/patch")
        .resource_id("approvals", &id)
        .by(&approver)
        .body(json!({"status": "APPROVED"}));
    assert_eq!(env.call(approve).await.status, 200);
    let events = lane_events(&env).await;
    let (filed, decided): (Vec<Value>, Vec<Value>) = events
        .into_iter()
        .partition(|e| e["type"] == "approval.created");
    let store = env.owned_app().store;
    // The decision first: retried (a batch item failure), nothing moved.
    let early = analyze_batch(&store, &batch(&decided)).await;
    assert_eq!(early.batch_item_failures.len(), decided.len());
    // Then in order: both count.
    analyze(&env, &filed).await;
    analyze(&env, &decided).await;
    let history = store
        .requester_history(&requester.id, opsflow_platform::clock::now())
        .await
        .unwrap();
    assert_eq!(
        (history.filed, history.decided, history.rejected),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn a_message_that_is_not_an_envelope_is_retried_alone() {
    let env = crate::env().await;
    let store = env.owned_app().store;
    let mut event = batch(&[json!({"type": "approval.created"})]);
    event.records[0].body = Some("not json".into());
    let response = analyze_batch(&store, &event).await;
    assert_eq!(response.batch_item_failures.len(), 1);
}

#[test]
fn the_lane_takes_the_approval_events_that_move_a_scoring_and_not_its_own() {
    let takes = opsflow_insights::registry::LANE.takes;
    let event = |t: &str, entity: &str| json!({"type": t, "entity": entity});
    assert_eq!(takes(&event("approval.created", "approval")), Some(0));
    assert_eq!(takes(&event("approval.approved", "approval")), Some(0));
    assert_eq!(takes(&event("approval.risk_scored", "approval")), None);
    assert_eq!(takes(&event("approval.payload_updated", "approval")), None);
    assert_eq!(takes(&event("item.created", "item")), None);
}

#[tokio::test]
async fn the_recorded_batch_is_analysed_once() {
    let env = crate::env().await;
    let store = env.owned_app().store;
    let event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_value(crate::helpers::fixture("insights-analyzer/sqs")).unwrap();
    for _ in 0..2 {
        let response = analyze_batch(&store, &event).await;
        assert!(response.batch_item_failures.is_empty());
    }
    let stats = store
        .workflow_stats("0193b2a4-7a00-7000-8000-00000000c0de")
        .await
        .unwrap();
    assert_eq!(stats.requests, 1);
    assert_eq!(stats.amounts.total(), 1);
}
