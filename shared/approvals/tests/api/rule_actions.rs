//! The rule actions approvals register (`ApprovalActions`): a rule's
//! `approve` decides the approval its event is about, a client's report is
//! refused for good, and a repeated delivery writes nothing.

use crate::calls::approval;
use crate::helpers::{Account, TestEnv};
use opsflow_approvals::domain::EntityId;
use opsflow_approvals::events::Envelope;
use opsflow_approvals::ApprovalActions;
use opsflow_platform::domain::Role;
use opsflow_platform::registry::{ActionFailure, ActionTarget, EntityAction, Registry};
use serde_json::{json, Value};

/// A pending approval filed by a new user, and the event that filed it.
async fn filed(env: &TestEnv) -> (Account, String, Envelope) {
    let admin = env.account("admin", Role::Admin).await;
    let requester = env.account("requester", Role::User).await;
    let workflow = env.active_workflow(&admin, "Purchases").await;
    let id = env.file_approval(&requester, &workflow, "A chair").await;
    let created = env
        .events()
        .await
        .into_iter()
        .find(|event| event["type"] == "approval.created" && event["entity_id"] == id.as_str())
        .expect("the approval.created event");
    (admin, id, serde_json::from_value(created).unwrap())
}

async fn act(
    env: &TestEnv,
    name: &str,
    args: Value,
    event: &Envelope,
    event_id: EntityId,
) -> Result<String, ActionFailure> {
    let action = EntityAction {
        name,
        args: &args,
        event,
        rule_id: EntityId::new(),
        event_id,
    };
    ApprovalActions.act(&env.users.store, action).await
}

#[tokio::test]
async fn a_rules_approve_decides_the_approval_its_event_is_about() {
    let env = crate::env().await;
    let (admin, id, created) = filed(&env).await;
    let event_id = EntityId::new();

    let detail = act(
        &env,
        "approve",
        json!({"comment": "under the limit"}),
        &created,
        event_id,
    )
    .await;

    assert_eq!(detail, Ok("APPROVED by the rule".to_owned()));
    assert_eq!(approval(&env, &admin, &id).await["status"], "APPROVED");
    let events = env.events().await;
    let approved = events
        .iter()
        .find(|event| event["id"] == event_id.to_string().as_str())
        .expect("the rule's event, under the derived id");
    assert_eq!(approved["type"], "approval.approved");
    assert_eq!(approved["actor"]["id"], "system");
    assert_eq!(approved["depth"], created.depth + 1);
    assert_eq!(
        approved["changes"]["decision"][1]["comment"],
        "under the limit"
    );
}

#[tokio::test]
async fn a_clients_report_about_an_approval_is_refused_for_good() {
    let env = crate::env().await;
    let (admin, id, created) = filed(&env).await;
    let mut report = created.clone();
    report.event_type = "client.approval_viewed".into();

    let outcome = act(
        &env,
        "approve",
        json!({"comment": "looks fine"}),
        &report,
        EntityId::new(),
    )
    .await;

    assert!(
        matches!(outcome, Err(ActionFailure::Permanent(_))),
        "{outcome:?}"
    );
    assert_eq!(approval(&env, &admin, &id).await["status"], "PENDING");
}

#[tokio::test]
async fn a_repeated_delivery_writes_nothing() {
    let env = crate::env().await;
    let (admin, id, created) = filed(&env).await;
    let event_id = EntityId::new();
    let args = json!({"path": "review.automated", "value": true});
    act(&env, "set_field", args.clone(), &created, event_id)
        .await
        .unwrap();
    let version = approval(&env, &admin, &id).await["version"].clone();
    let events = env.events().await.len();

    let again = act(&env, "set_field", args, &created, event_id).await;

    assert!(again.is_ok(), "{again:?}");
    let after = approval(&env, &admin, &id).await;
    assert_eq!(after["version"], version);
    assert_eq!(after["payload"]["review"]["automated"], true);
    assert_eq!(env.events().await.len(), events);
}

#[tokio::test]
async fn assigning_an_unknown_user_is_refused_for_good() {
    let env = crate::env().await;
    let (_, _, created) = filed(&env).await;

    let outcome = act(
        &env,
        "assign",
        json!({"user_id": EntityId::new()}),
        &created,
        EntityId::new(),
    )
    .await;

    assert!(
        matches!(outcome, Err(ActionFailure::Permanent(ref m)) if m.contains("not found")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn assigning_an_auditor_is_refused_for_good() {
    let env = crate::env().await;
    let (_, _, created) = filed(&env).await;
    let auditor = env.account("auditor", Role::Auditor).await;

    let outcome = act(
        &env,
        "assign",
        json!({"user_id": auditor.id}),
        &created,
        EntityId::new(),
    )
    .await;

    assert!(
        matches!(outcome, Err(ActionFailure::Permanent(ref m)) if m.contains("auditors decide nothing")),
        "{outcome:?}"
    );
}

#[test]
fn register_offers_approvals_workflows_and_the_approval_actions() {
    let mut registry = Registry::new();
    opsflow_approvals::register(&mut registry);
    assert_eq!(
        registry.kinds().collect::<Vec<_>>(),
        ["approval", "workflow"]
    );
    let target = registry.action_target_for("approval").expect("a target");
    assert_eq!(
        target.actions(),
        ["approve", "reject", "assign", "set_field"]
    );
}

#[tokio::test]
async fn a_delivery_whose_event_is_already_in_the_outbox_changes_nothing() {
    let env = crate::env().await;
    let (admin, id, created) = filed(&env).await;
    let first = EntityId::new();
    let set = |value: bool| json!({"path": "review.automated", "value": value});
    act(&env, "set_field", set(true), &created, first)
        .await
        .unwrap();
    act(&env, "set_field", set(false), &created, EntityId::new())
        .await
        .unwrap();
    let events = env.events().await.len();

    let again = act(&env, "set_field", set(true), &created, first).await;

    assert_eq!(again, Ok("already done by an earlier delivery".to_owned()));
    let after = approval(&env, &admin, &id).await;
    assert_eq!(after["payload"]["review"]["automated"], false);
    assert_eq!(env.events().await.len(), events);
}
