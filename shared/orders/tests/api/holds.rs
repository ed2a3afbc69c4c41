//! A rule holds a large order for approval: `hold_order` holds the pending
//! order and files its approval request; a held order is not processed;
//! the request's approval (`release_order`) or an admin releases it; a
//! repeated delivery does nothing twice.

use crate::helpers::{Account, Call, TestEnv};
use crate::{at, move_to, order, stock};
use opsflow_orders::OrderActions;
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::events::Envelope;
use opsflow_platform::registry::{ActionFailure, ActionTarget, EntityAction};
use serde_json::{json, Value};

/// Runs rule action `name` (`args`) on `event`, as the runner would: the
/// same rule and derived id for a repeat of the same action.
async fn act(
    env: &TestEnv,
    name: &str,
    args: Value,
    event: &Envelope,
    ids: (EntityId, EntityId),
) -> Result<String, ActionFailure> {
    let store = env.owned_app().store;
    let action = EntityAction {
        name,
        args: &args,
        event,
        rule_id: ids.0,
        event_id: ids.1,
    };
    OrderActions.act(&store, action).await
}

/// The last outbox event of `event_type` about `entity_id`.
async fn last_event(env: &TestEnv, event_type: &str, entity_id: &str) -> Envelope {
    let events = env.events_of_type(event_type).await;
    let found = events
        .into_iter()
        .filter(|e| e["entity_id"] == entity_id)
        // As times: RFC 3339 texts drop trailing zeros of their fractions.
        .max_by_key(|e| {
            let at = e["occurred_at"].as_str().unwrap_or_default();
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap()
        })
        .unwrap_or_else(|| panic!("no {event_type} of {entity_id}"));
    serde_json::from_value(found).unwrap()
}

async fn placed(env: &TestEnv, buyer: &Account) -> (String, Envelope) {
    let reply = order(env, buyer, &[("BIG-1", 3)]).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    (id.clone(), last_event(env, "order.created", &id).await)
}

fn hold_args(workflow: &str) -> Value {
    json!({"type": "hold_order", "reason": "Over 1,000.00", "workflow_id": workflow})
}

#[tokio::test]
async fn a_held_order_waits_for_its_approval_and_is_released_by_it_once() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let buyer = env.account("buyer", Role::User).await;
    stock(&env, &admin, "BIG-1", 100, 50_000).await;
    let workflow = env.active_workflow(&admin, "Large orders").await;
    let (id, created) = placed(&env, &buyer).await;
    let ids = (EntityId::new(), EntityId::new());

    let done = act(&env, "hold_order", hold_args(&workflow), &created, ids).await;
    let approval_id = ids.1.to_string();
    assert_eq!(
        done.unwrap(),
        format!("held order {id} and filed approval {approval_id}")
    );
    let shown = env.call(at("orders/get", &id).by(&buyer)).await;
    assert_eq!(shown.body["hold"]["approval_id"], approval_id.as_str());
    assert_eq!(shown.body["hold"]["reason"], "Over 1,000.00");
    let held = last_event(&env, "order.held", &id).await;
    assert_eq!(
        (held.actor.id.as_str(), held.depth),
        ("system", created.depth + 1)
    );
    // The request: the buyer's, about the order, on the workflow.
    let request = env
        .call(
            Call::new("approvals/get")
                .resource_id("approvals", &approval_id)
                .by(&buyer),
        )
        .await;
    assert_eq!(request.status, 200, "{}", request.body);
    assert_eq!(request.body["requester_id"], buyer.id.as_str());
    assert_eq!(request.body["payload"]["order_id"], id.as_str());
    assert_eq!(request.body["payload"]["total"], 150_000);
    assert_eq!(request.body["amount"], 1500.0);

    // A repeated delivery holds and files nothing more.
    let again = act(&env, "hold_order", hold_args(&workflow), &created, ids).await;
    assert!(again.unwrap().contains("filed before"));
    assert_eq!(env.events_of_type("order.held").await.len(), 1);
    assert_eq!(env.events_of_type("approval.created").await.len(), 1);

    // Held: not processed, not released by a decision that is no approval.
    let refused = move_to(&env, &admin, &id, "processing").await;
    assert_eq!(refused.status, 409);
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("on hold") && detail.contains(&approval_id),
        "{detail}"
    );
    let release = json!({"type": "release_order"});
    let filed = last_event(&env, "approval.created", &approval_id).await;
    let early = act(
        &env,
        "release_order",
        release.clone(),
        &filed,
        (ids.0, EntityId::new()),
    )
    .await;
    assert!(matches!(early, Err(ActionFailure::Permanent(why)) if why.contains("not approved")));

    // Approved: the rule's release lifts the hold, once.
    let decide = Call::new("approvals/patch")
        .resource_id("approvals", &approval_id)
        .by(&approver)
        .body(json!({"status": "APPROVED", "comment": "Fine"}));
    assert_eq!(env.call(decide).await.status, 200);
    let approved = last_event(&env, "approval.approved", &approval_id).await;
    let release_ids = (EntityId::new(), EntityId::new());
    let released = act(
        &env,
        "release_order",
        release.clone(),
        &approved,
        release_ids,
    )
    .await;
    assert_eq!(released.unwrap(), format!("released order {id}"));
    let twice = act(&env, "release_order", release, &approved, release_ids).await;
    assert_eq!(twice.unwrap(), format!("order {id} is not held"));
    assert_eq!(env.events_of_type("order.released").await.len(), 1);
    // Neither a late repeat of the hold nor a rule on the release's own
    // event holds the released order again.
    let late = act(&env, "hold_order", hold_args(&workflow), &created, ids).await;
    assert!(late.unwrap().contains("before"));
    let released_event = last_event(&env, "order.released", &id).await;
    assert_eq!(released_event.depth, approved.depth + 1);
    let own = act(
        &env,
        "hold_order",
        hold_args(&workflow),
        &released_event,
        (ids.0, EntityId::new()),
    )
    .await;
    assert_eq!(own.unwrap(), "nothing to hold on order.released");
    let shown = env.call(at("orders/get", &id).by(&buyer)).await;
    assert_eq!(shown.body["hold"], Value::Null);
    assert_eq!(move_to(&env, &admin, &id, "processing").await.status, 200);

    let timeline = env.call(at("orders/timeline", &id).by(&buyer)).await;
    let kinds: Vec<&str> = timeline.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "held", "released", "status_changed"]);
    // A hold too late (the order is processing now) fails the action.
    let late = act(
        &env,
        "hold_order",
        hold_args(&workflow),
        &created,
        (ids.0, EntityId::new()),
    )
    .await;
    assert!(
        matches!(late, Err(ActionFailure::Permanent(why)) if why.contains("only a pending order"))
    );
}

#[tokio::test]
async fn an_admin_releases_a_hold_by_hand_and_a_held_order_may_still_be_cancelled() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let buyer = env.account("buyer", Role::User).await;
    stock(&env, &admin, "BIG-1", 100, 50_000).await;
    let workflow = env.active_workflow(&admin, "Large orders").await;
    let (id, created) = placed(&env, &buyer).await;
    let ids = (EntityId::new(), EntityId::new());
    act(&env, "hold_order", hold_args(&workflow), &created, ids)
        .await
        .unwrap();

    let release = |who: &Account, body: Value| at("orders/patch", &id).by(who).body(body);
    let by_owner = env
        .call(release(&buyer, json!({"release_hold": true})))
        .await;
    assert_eq!(by_owner.status, 403);
    for body in [
        json!({"release_hold": false}),
        json!({"release_hold": true, "status": "processing"}),
    ] {
        let reply = env.call(release(&admin, body)).await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert!(reply.body.to_string().contains("release_hold"));
    }
    let released = env
        .call(release(&admin, json!({"release_hold": true})))
        .await;
    assert_eq!(released.status, 200, "{}", released.body);
    assert_eq!(released.body["hold"], Value::Null);
    let released_event = last_event(&env, "order.released", &id).await;
    assert_eq!(released_event.actor.id, admin.id);
    let again = env
        .call(release(&admin, json!({"release_hold": true})))
        .await;
    assert_eq!(again.status, 409);

    // Another order, held, is cancelled by its owner: its stock comes back.
    let (other, created) = placed(&env, &buyer).await;
    act(
        &env,
        "hold_order",
        hold_args(&workflow),
        &created,
        (ids.0, EntityId::new()),
    )
    .await
    .unwrap();
    assert_eq!(move_to(&env, &buyer, &other, "cancelled").await.status, 200);
    assert_eq!(crate::units(&env, &admin, "BIG-1").await, 97);
    // A rule naming a workflow that is not active holds nothing.
    let (third, created) = placed(&env, &buyer).await;
    env.set_workflow_status(&admin, &workflow, "ARCHIVED").await;
    let failed = act(
        &env,
        "hold_order",
        hold_args(&workflow),
        &created,
        (ids.0, EntityId::new()),
    )
    .await;
    assert!(
        matches!(&failed, Err(ActionFailure::Permanent(why)) if why.contains("is not active")),
        "{failed:?}"
    );
    let shown = env.call(at("orders/get", &third).by(&admin)).await;
    assert_eq!(shown.body["hold"], Value::Null);
}
