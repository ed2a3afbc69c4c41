//! The analyzer against the approvals' own changes and the queue's
//! disorder on DynamoDB Local: a decision never erases a recorded risk;
//! late and repeated events converge on the approval's state; an approval
//! filed before the analyzer ran is scored from its next event; and the
//! slow-workflow detector raises one insight while requests wait far
//! longer than usual, and resolves it when they move.

use crate::analyzer::{risk_of, usual_amount};
use crate::{analyze, file, lane_events};
use opsflow_insights::store::{InsightStore, StatisticsStore};
use opsflow_platform::domain::{EntityId, Role};
use serde_json::{json, Value};

/// An active workflow of two steps: an approver, then an admin.
async fn two_steps(env: &crate::helpers::TestEnv, admin: &crate::helpers::Account) -> String {
    let id = env
        .create(
            crate::helpers::Call::new("workflows/create")
                .by(admin)
                .body(json!({
                    "name": "Two steps",
                    "steps": [
                        {"name": "Lead", "approver_role": "approver", "required_approvals": 1},
                        {"name": "Finance", "approver_role": "admin", "required_approvals": 1},
                    ],
                })),
        )
        .await;
    env.activate_workflow(admin, &id).await;
    id
}

async fn decide(
    env: &crate::helpers::TestEnv,
    who: &crate::helpers::Account,
    id: &str,
    status: &str,
) {
    let call = crate::helpers::Call::new("approvals/patch")
        .resource_id("approvals", id)
        .by(who)
        .body(json!({ "status": status }));
    let reply = env.call(call).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn the_approvals_own_changes_never_erase_its_risk() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let requester = env.account("requester", Role::User).await;
    let workflow = two_steps(&env, &admin).await;
    let id = file(&env, &requester, &workflow, 300.0, json!({})).await;
    analyze(&env, &lane_events(&env).await).await;
    let scored = risk_of(&env, &id).await;
    assert_eq!(scored["level"], "MEDIUM", "{scored}");
    // A decision after the risk was recorded keeps it on the approval.
    decide(&env, &approver, &id, "APPROVED").await;
    assert_eq!(risk_of(&env, &id).await, scored);
    let reply = env
        .call(
            crate::helpers::Call::new("approvals/get")
                .resource_id("approvals", &id)
                .by(&requester),
        )
        .await;
    assert_eq!(reply.body["risk"]["level"], "MEDIUM", "{}", reply.body);
    // The admin, who decides the second step, sees it where they decide:
    // in the listing of what waits on them.
    let waiting = env
        .call(
            crate::helpers::Call::new("approvals/list")
                .by(&admin)
                .query(&[("assigned", "me")]),
        )
        .await;
    assert_eq!(waiting.status, 200, "{}", waiting.body);
    assert_eq!(waiting.body["items"][0]["id"], id.as_str());
    assert_eq!(waiting.body["items"][0]["risk"], scored, "{}", waiting.body);
}

#[tokio::test]
async fn late_and_repeated_events_converge_on_the_approvals_state() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let requester = env.account("requester", Role::User).await;
    let workflow = two_steps(&env, &admin).await;
    let id = file(&env, &requester, &workflow, 300.0, json!({})).await;
    decide(&env, &approver, &id, "APPROVED").await;
    decide(&env, &admin, &id, "APPROVED").await;
    let events = lane_events(&env).await;
    let of = |t: &str| events.iter().find(|e| e["type"] == t).unwrap().clone();
    let (created, completed, approved) = (
        of("approval.created"),
        of("approval.step_completed"),
        of("approval.approved"),
    );
    // The filing, then the end, then the step before it (late), then the
    // filing again (redelivered, as from a dead-letter queue).
    for event in [&created, &approved, &completed, &created] {
        analyze(&env, std::slice::from_ref(event)).await;
    }
    let store = env.owned_app().store;
    let history = store
        .requester_history(&requester.id, opsflow_platform::clock::now())
        .await
        .unwrap();
    assert_eq!((history.filed, history.decided), (1, 1));
    // The first request raised an insight; the end resolved it, and the
    // late filing did not open it again.
    assert_eq!(env.events_of_type("insight.created").await.len(), 1);
    let resolved = env.events_of_type("insight.resolved").await;
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    let insight = EntityId::parse(resolved[0]["entity_id"].as_str().unwrap()).unwrap();
    let stored = store.insight_by_id(&insight).await.unwrap().unwrap();
    assert_eq!(stored.status.as_str(), "resolved");
    assert_eq!(risk_of(&env, &id).await["level"], "MEDIUM");
}

#[tokio::test]
async fn an_approval_filed_before_the_analyzer_ran_is_scored_from_its_next_event() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let requester = env.account("requester", Role::User).await;
    let workflow = env.active_workflow(&admin, "Purchases").await;
    let id = file(&env, &requester, &workflow, 300.0, json!({})).await;
    decide(&env, &approver, &id, "APPROVED").await;
    let mut approved = lane_events(&env)
        .await
        .into_iter()
        .find(|e| e["type"] == "approval.approved")
        .unwrap();
    // Filed an hour before: its filing event never reaches the analyzer.
    let hour_before = opsflow_platform::clock::now() - time::Duration::hours(1);
    approved["data"]["created_at"] = json!(hour_before
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap());
    analyze(&env, &[approved]).await;
    assert_eq!(risk_of(&env, &id).await["level"], "MEDIUM");
    let store = env.owned_app().store;
    let stats = store.workflow_stats(&workflow).await.unwrap();
    assert_eq!(
        stats.requests, 0,
        "an adopted request moves no filing count"
    );
}

#[tokio::test]
async fn a_slow_workflow_raises_one_insight_until_its_requests_move() {
    use opsflow_insights::service::detectors::sweep_slow_workflows;
    let (env, approver, workflow, waiting) = slow_workflow().await;
    let store = env.owned_app().store;
    let sweep = |minutes: i64| {
        let at = opsflow_platform::clock::now() + time::Duration::minutes(minutes);
        sweep_slow_workflows(&store, at, "detector-test")
    };
    // Not yet unusual: nothing.
    assert_eq!(sweep(1).await.unwrap().done, 0);
    // Past five minutes (three times seconds, at least five minutes): one
    // insight for the workflow, however often the detector runs.
    assert_eq!(sweep(10).await.unwrap().done, 1);
    assert_eq!(sweep(11).await.unwrap().done, 0);
    let raised = env.events_of_type("insight.created").await;
    let slow: Vec<&Value> = raised
        .iter()
        .filter(|e| e["data"]["source"] == "slow_workflow")
        .collect();
    assert_eq!(slow.len(), 1, "{raised:?}");
    assert_eq!(slow[0]["data"]["entity_id"], workflow.as_str());
    assert!(slow[0]["data"]["description"]
        .as_str()
        .unwrap()
        .starts_with("2 requests"));
    // Its requests move on: the next run resolves it.
    for id in &waiting {
        decide(&env, &approver, id, "APPROVED").await;
    }
    for event in lane_events(&env).await {
        analyze(&env, &[event]).await;
    }
    assert_eq!(sweep(12).await.unwrap().done, 1);
    let resolved = env.events_of_type("insight.resolved").await;
    assert!(resolved
        .iter()
        .any(|e| e["data"]["source"] == "slow_workflow"
            && e["data"]["note"] == "The condition cleared."));
    assert_eq!(sweep(13).await.unwrap(), Default::default());
}

/// A workflow whose step was decided five times at once (its usual time
/// is seconds), then two requests left waiting on it, all analysed: the
/// environment, the approver, the workflow and the waiting requests.
async fn slow_workflow() -> (
    crate::helpers::TestEnv,
    crate::helpers::Account,
    String,
    Vec<String>,
) {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let requester = env.account("requester", Role::User).await;
    let workflow = env.active_workflow(&admin, "Purchases").await;
    for n in 0..5 {
        let id = file(&env, &requester, &workflow, usual_amount(n), json!({})).await;
        decide(&env, &approver, &id, "APPROVED").await;
    }
    let mut waiting = Vec::new();
    for n in 0..2 {
        waiting.push(file(&env, &requester, &workflow, usual_amount(n), json!({})).await);
    }
    for event in lane_events(&env).await {
        analyze(&env, &[event]).await;
    }
    (env, approver, workflow, waiting)
}

#[tokio::test]
async fn a_deleted_slow_workflow_insight_is_raised_again_while_it_holds() {
    use opsflow_insights::service::detectors::sweep_slow_workflows;
    let (env, _, _, _) = slow_workflow().await;
    let admin = env.account("admin2", Role::Admin).await;
    let store = env.owned_app().store;
    let at = opsflow_platform::clock::now() + time::Duration::minutes(10);
    assert_eq!(sweep_slow_workflows(&store, at, "t").await.unwrap().done, 1);
    let raised = env.events_of_type("insight.created").await;
    let first = raised
        .iter()
        .find(|e| e["data"]["source"] == "slow_workflow")
        .unwrap()["entity_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = env
        .call(crate::at("insights/delete", &first).by(&admin))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(sweep_slow_workflows(&store, at, "t").await.unwrap().done, 1);
    let again: Vec<Value> = env
        .events_of_type("insight.created")
        .await
        .into_iter()
        .filter(|e| e["data"]["source"] == "slow_workflow")
        .collect();
    assert_eq!(again.len(), 2);
    assert_ne!(again[0]["entity_id"], again[1]["entity_id"]);
}
