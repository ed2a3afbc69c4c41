//! A rule's `assign` and `set_field` on the approval an event is about:
//! what the assignee and the requester then see through the approvals
//! API, the events recorded, and the runs that say why nothing was done.

use super::{batch, id_of, run_of, World};
use crate::helpers::{page_column, sdk_config, Account, Call};
use aws_sdk_dynamodb::types::AttributeValue;
use opsflow_automation::store::keys;
use opsflow_automation::store::runs::{ActionStatus, RunStatus};
use opsflow_platform::domain::{EntityId, Role};
use serde_json::{json, Value};

fn assign_rule(user: &str) -> Value {
    json!({
        "name": "Assign a reviewer",
        "trigger": "approval.created",
        "actions": [{"type": "assign", "user_id": user}],
    })
}

fn set_field_rule(path: &str, value: Value) -> Value {
    json!({
        "name": "Mark for review",
        "trigger": "approval.created",
        "actions": [{"type": "set_field", "path": path, "value": value}],
    })
}

fn get(approval: &str, who: &Account) -> Call {
    Call::new("approvals/get")
        .resource_id("approvals", approval)
        .by(who)
}

fn assigned_to(who: &Account) -> Call {
    Call::new("approvals/list")
        .query(&[("assigned", "me")])
        .by(who)
}

fn approve(approval: &str, who: &Account) -> Call {
    Call::new("approvals/patch")
        .resource_id("approvals", approval)
        .by(who)
        .body(json!({"status": "APPROVED"}))
}

fn listed_ids(body: &Value) -> Vec<String> {
    page_column(body, "id")
}

impl World {
    /// Asserts that `rule`'s run on `created` succeeded and that its first
    /// action reports `detail`.
    async fn assert_succeeded(&self, created: &Value, rule: &EntityId, detail: &str) {
        let run = run_of(&self.store(), created, rule).await;
        assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.reason);
        assert_eq!(run.actions()[0].detail.as_deref(), Some(detail));
    }

    /// Asserts that `approval` is as it was filed (version 1) and that no
    /// `event_type` event was written.
    async fn assert_unchanged(&self, approval: &str, event_type: &str) {
        assert_eq!(self.approval(approval).await["version"], 1);
        let events = self.events_of_type(event_type).await;
        assert!(events.is_empty(), "{events:?}");
    }

    /// The approval as its requester reads it.
    async fn approval(&self, id: &str) -> Value {
        let reply = self.env.call(get(id, &self.requester)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    /// Forgets that `rule` ran on `event`, as a runner that crashed after
    /// its actions committed and before it recorded them would have.
    async fn forget_run(&self, event: &Value, rule: &EntityId) {
        let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
        let pk = keys::runs_of_event_pk(&id_of(event));
        for sk in [keys::run_sk(rule), keys::run_attempt_sk(rule)] {
            client
                .delete_item()
                .table_name(&self.env.table)
                .key("pk", AttributeValue::S(pk.clone()))
                .key("sk", AttributeValue::S(sk))
                .send()
                .await
                .unwrap();
        }
    }

    /// An active workflow of two steps: an approver, then an admin.
    async fn two_step_workflow(&self) -> String {
        let token = Some(self.admin.tokens.access.as_str());
        let id = self
            .env
            .create(Call::new("workflows/create").token(token).body(
                json!({"name": "Large purchases", "steps": [
                    {"name": "Review", "approver_role": "approver", "required_approvals": 1},
                    {"name": "Sign-off", "approver_role": "admin", "required_approvals": 1}
                ]}),
            ))
            .await;
        self.env.activate_workflow(&self.admin, &id).await;
        id
    }
}

#[tokio::test]
async fn an_assigned_user_sees_the_approval_waiting_on_them_and_approves_it() {
    let world = World::new().await;
    let reviewer = world.env.account("reviewer", Role::User).await;
    let rule = world.rule(assign_rule(&reviewer.id)).await;
    let approval = world.file(500.0).await;
    let created = world.created_event(&approval).await;
    assert_eq!(world.env.call(get(&approval, &reviewer)).await.status, 404);

    world.run_all(&[&created]).await;
    let detail = format!("user {} is now an approver of step Review", reviewer.id);
    world.assert_succeeded(&created, &rule, &detail).await;
    let seen = world.env.call(get(&approval, &reviewer)).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(seen.body["steps"][0]["approver_role"], "approver");
    assert_eq!(seen.body["steps"][0]["assigned_ids"], json!([reviewer.id]));
    let waiting = world.env.call(assigned_to(&reviewer)).await;
    assert_eq!(waiting.status, 200, "{}", waiting.body);
    assert_eq!(listed_ids(&waiting.body), [approval.as_str()]);

    let event = world
        .action_event("approval.approver_assigned", &approval)
        .await;
    assert_eq!(
        event["changes"]["steps[0].assigned_ids"],
        json!([[], [reviewer.id]])
    );

    let approved = world.env.call(approve(&approval, &reviewer)).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["status"], "APPROVED");
    let waiting = world.env.call(assigned_to(&reviewer)).await;
    assert!(listed_ids(&waiting.body).is_empty(), "{}", waiting.body);
}

#[tokio::test]
async fn a_redelivered_assign_writes_nothing_more() {
    let world = World::new().await;
    let reviewer = world.env.account("reviewer", Role::User).await;
    world.rule(assign_rule(&reviewer.id)).await;
    let approval = world.file(500.0).await;
    let created = world.created_event(&approval).await;
    let runner = world.runner(None);
    runner.run_batch(&batch(&[&created])).await;
    let assigned = world.approval(&approval).await;

    let response = runner.run_batch(&batch(&[&created])).await;

    assert!(response.batch_item_failures.is_empty());
    let again = world.approval(&approval).await;
    assert_eq!(again["version"], assigned["version"]);
    assert_eq!(again["steps"][0]["assigned_ids"], json!([reviewer.id]));
    let events = world.events_of_type("approval.approver_assigned").await;
    assert_eq!(events.len(), 1);
}

#[tokio::test]
async fn an_assign_repeated_after_a_crash_is_seen_as_done_even_once_the_step_moved_on() {
    let world = World::new().await;
    let reviewer = world.env.account("reviewer", Role::User).await;
    let approver = world.env.account("approver", Role::Approver).await;
    let rule = world.rule(assign_rule(&reviewer.id)).await;
    let workflow = world.two_step_workflow().await;
    let approval = world.file_in(&workflow, json!({}), 5000.0).await;
    let created = world.created_event(&approval).await;
    let runner = world.runner(None);
    runner.run_batch(&batch(&[&created])).await;
    world.forget_run(&created, &rule).await;
    let reviewed = world.env.call(approve(&approval, &approver)).await;
    assert_eq!(reviewed.body["current_step"], 1, "{}", reviewed.body);

    let response = runner.run_batch(&batch(&[&created])).await;

    assert!(response.batch_item_failures.is_empty());
    world
        .assert_succeeded(&created, &rule, "already done by an earlier delivery")
        .await;
    let after = world.approval(&approval).await;
    assert!(after["steps"][1].get("assigned_ids").is_none(), "{after}");
    assert!(listed_ids(&world.env.call(assigned_to(&reviewer)).await.body).is_empty());
    assert_eq!(
        world
            .events_of_type("approval.approver_assigned")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn assigning_a_user_who_already_approves_the_step_writes_nothing() {
    let world = World::new().await;
    let approver = world.env.account("approver", Role::Approver).await;
    let rule = world.rule(assign_rule(&approver.id)).await;
    let approval = world.file(500.0).await;
    let created = world.created_event(&approval).await;

    world.runner(None).run_batch(&batch(&[&created])).await;

    let detail = format!("user {} is already an approver of step Review", approver.id);
    world.assert_succeeded(&created, &rule, &detail).await;
    let unchanged = world.approval(&approval).await;
    assert_eq!(unchanged["version"], 1);
    assert!(unchanged["steps"][0].get("assigned_ids").is_none());
    assert!(world
        .events_of_type("approval.approver_assigned")
        .await
        .is_empty());
}

#[tokio::test]
async fn an_assignee_stops_seeing_the_approval_once_its_step_is_done() {
    let world = World::new().await;
    let reviewer = world.env.account("reviewer", Role::User).await;
    let approver = world.env.account("approver", Role::Approver).await;
    world.rule(assign_rule(&reviewer.id)).await;
    let workflow = world.two_step_workflow().await;
    let approval = world.file_in(&workflow, json!({}), 5000.0).await;
    let created = world.created_event(&approval).await;
    world.runner(None).run_batch(&batch(&[&created])).await;
    let waiting = world.env.call(assigned_to(&reviewer)).await;
    assert_eq!(listed_ids(&waiting.body), [approval.as_str()]);

    let reviewed = world.env.call(approve(&approval, &approver)).await;

    assert_eq!(reviewed.status, 200, "{}", reviewed.body);
    assert_eq!(reviewed.body["current_step"], 1);
    let waiting = world.env.call(assigned_to(&reviewer)).await;
    assert!(listed_ids(&waiting.body).is_empty(), "{}", waiting.body);
    let late = world.env.call(approve(&approval, &reviewer)).await;
    assert_eq!(late.status, 403, "{}", late.body);
}

#[tokio::test]
async fn assigning_the_requester_an_unknown_or_a_deactivated_user_fails_the_run_with_the_reason() {
    let world = World::new().await;
    let gone = world.env.account("gone", Role::User).await;
    let deactivated = world
        .env
        .call(Call::new("users/delete").by(&world.admin).id(&gone.id))
        .await;
    assert_eq!(deactivated.status, 204, "{}", deactivated.body);
    let unknown = EntityId::new().to_string();
    let cases = [
        (
            world.rule(assign_rule(&world.requester.id)).await,
            "requesters never decide their own requests".to_owned(),
        ),
        (
            world.rule(assign_rule(&unknown)).await,
            format!("user {unknown} not found"),
        ),
        (
            world.rule(assign_rule(&gone.id)).await,
            format!("user {} is deactivated", gone.id),
        ),
    ];
    let approval = world.file(500.0).await;
    let created = world.created_event(&approval).await;

    world.run_all(&[&created]).await;
    for (rule, reason) in &cases {
        let run = run_of(&world.store(), &created, rule).await;
        assert_eq!(run.status, RunStatus::Failed);
        assert_eq!(run.attempts, 1, "a permanent failure is not retried");
        let outcome = &run.actions()[0];
        assert_eq!(outcome.status, ActionStatus::Failed);
        let error = outcome.error.as_deref().unwrap();
        assert!(error.contains(reason.as_str()), "{error}");
    }
    world
        .assert_unchanged(&approval, "approval.approver_assigned")
        .await;
}

/// A world whose rule sets `payload.review.level` to 2 on every filing,
/// and a request filed with `payload`: the world, the rule, the request
/// and its `approval.created` event.
async fn level_two_rule_on(payload: Value) -> (World, EntityId, String, Value) {
    let world = World::new().await;
    let rule = world.rule(set_field_rule("review.level", json!(2))).await;
    let approval = world.file_in(&world.workflow, payload, 500.0).await;
    let created = world.created_event(&approval).await;
    (world, rule, approval, created)
}

#[tokio::test]
async fn a_rule_sets_a_nested_payload_field_that_the_requester_then_sees() {
    let (world, rule, approval, created) = level_two_rule_on(json!({"vendor": "Acme"})).await;
    let runner = world.runner(None);

    let response = runner.run_batch(&batch(&[&created])).await;

    assert!(response.batch_item_failures.is_empty());
    world
        .assert_succeeded(&created, &rule, "payload.review.level set")
        .await;
    let updated = world.approval(&approval).await;
    assert_eq!(
        updated["payload"],
        json!({"vendor": "Acme", "review": {"level": 2}})
    );
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["status"], "PENDING");
    let event = world
        .action_event("approval.payload_updated", &approval)
        .await;
    assert_eq!(event["changes"], json!({"payload.review.level": [null, 2]}));
    assert_eq!(event["data"]["payload"], updated["payload"]);

    runner.run_batch(&batch(&[&created])).await;

    assert_eq!(world.approval(&approval).await["version"], 2);
    assert_eq!(
        world.events_of_type("approval.payload_updated").await.len(),
        1
    );
}

#[tokio::test]
async fn setting_a_field_that_already_holds_the_value_writes_nothing() {
    let (world, rule, approval, created) = level_two_rule_on(json!({"review": {"level": 2}})).await;

    world.runner(None).run_batch(&batch(&[&created])).await;

    world
        .assert_succeeded(&created, &rule, "payload.review.level already set")
        .await;
    world
        .assert_unchanged(&approval, "approval.payload_updated")
        .await;
}

#[tokio::test]
async fn setting_a_field_under_a_value_that_is_not_an_object_fails_naming_the_path() {
    let (world, rule, approval, created) = level_two_rule_on(json!({"review": "pending"})).await;

    world.runner(None).run_batch(&batch(&[&created])).await;

    let run = run_of(&world.store(), &created, &rule).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.attempts, 1);
    assert_eq!(
        run.actions()[0].error.as_deref(),
        Some("cannot set payload.review.level: payload.review is a string, not an object")
    );
    let unchanged = world.approval(&approval).await;
    assert_eq!(unchanged["payload"], json!({"review": "pending"}));
    assert_eq!(unchanged["version"], 1);
}

#[tokio::test]
async fn assign_and_set_field_refuse_an_approval_that_is_already_final() {
    let world = World::new().await;
    let reviewer = world.env.account("reviewer", Role::User).await;
    let rule = world
        .rule(json!({
            "name": "Approve, then annotate",
            "trigger": "approval.created",
            "actions": [
                {"type": "approve", "comment": "Approved by policy"},
                {"type": "set_field", "path": "review.automated", "value": true}
            ],
        }))
        .await;
    let late = world
        .rule(json!({
            "name": "Assign a reviewer afterwards",
            "trigger": "approval.created",
            "priority": 200,
            "actions": [{"type": "assign", "user_id": reviewer.id}],
        }))
        .await;
    let approval = world.file(500.0).await;
    let created = world.created_event(&approval).await;

    world.runner(None).run_batch(&batch(&[&created])).await;

    let store = world.store();
    let run = run_of(&store, &created, &rule).await;
    assert_eq!(run.status, RunStatus::Failed);
    let outcomes = run.actions();
    assert_eq!(outcomes[0].status, ActionStatus::Ok);
    assert_eq!(
        outcomes[1].error.as_deref(),
        Some("the approval is already APPROVED; only a pending approval's payload changes")
    );
    let run = run_of(&store, &created, &late).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(
        run.actions()[0].error.as_deref(),
        Some("the approval is already APPROVED; only a pending approval takes approvers")
    );
    let approved = world.approval(&approval).await;
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(approved["payload"], json!({}));
    assert!(approved["steps"][0].get("assigned_ids").is_none());
}
