//! The automation runner against DynamoDB Local and moto: rules written
//! through the rules API act on events taken from the outbox, exactly once
//! per (event, rule), never past depth 3, and record why in their runs.

#![allow(clippy::unwrap_used)]

/// `assign` and `set_field`, through the APIs their users see.
#[path = "automation/approval_actions.rs"]
mod approval_actions;

/// Client events are audit-only.
#[path = "automation/client_events.rs"]
mod client_events;

/// A full batch inside the function's timeout.
#[path = "automation/throughput.rs"]
mod throughput;

use crate::automation_api::Desk;
use crate::helpers::queues::{self, fresh_queue, sqs_client};
use crate::helpers::Call;
use aws_lambda_events::event::sqs::SqsEvent;
use opsflow_approvals::store::ApprovalStore;
use opsflow_automation::pipeline::automation_runner::Runner;
use opsflow_automation::store::runs::{ActionStatus, RunRecord, RunStatus};
use opsflow_automation::store::RunStore;
use opsflow_platform::domain::EntityId;
use opsflow_platform::store::Store;
use serde_json::{json, Value};

/// The bodies of every message waiting on the queue at `url`, as JSON.
async fn drain(client: &aws_sdk_sqs::Client, url: &str) -> Vec<Value> {
    let messages = queues::drain(client, url).await;
    let body = |m: &aws_sdk_sqs::types::Message| m.body().unwrap_or_default().to_owned();
    let json = |m| serde_json::from_str(&body(m)).expect("JSON");
    messages.iter().map(json).collect()
}

/// The runner's world: the rules and approvals of a [`Desk`], and the
/// webhooks queue its runner sends to.
struct World {
    desk: Desk,
    sqs: aws_sdk_sqs::Client,
    webhooks: String,
}

/// A world is a desk (admin, requester, workflow) with queues.
impl std::ops::Deref for World {
    type Target = Desk;

    fn deref(&self) -> &Desk {
        &self.desk
    }
}

impl World {
    async fn new() -> Self {
        let desk = Desk::new().await;
        let sqs = sqs_client().await;
        let webhooks = fresh_queue(&sqs, "webhooks").await;
        Self {
            desk,
            sqs,
            webhooks,
        }
    }

    fn store(&self) -> Store {
        self.env.users.store.clone()
    }

    /// The runner, sending notices to `webhooks` (the test's queue when
    /// `None`).
    fn runner(&self, webhooks: Option<String>) -> Runner {
        let webhooks = webhooks.unwrap_or_else(|| self.webhooks.clone());
        Runner::new(self.store(), self.sqs.clone(), webhooks)
            .with_registry(&[opsflow_approvals::register])
    }

    async fn rule(&self, rule: Value) -> EntityId {
        let call = Call::new("rules/create").by(&self.admin);
        EntityId::parse(&self.env.create(call.body(rule)).await).unwrap()
    }

    async fn file(&self, amount: f64) -> String {
        self.file_in(&self.workflow, json!({}), amount).await
    }

    /// Files a request with `payload` against `workflow`, as the requester.
    async fn file_in(&self, workflow: &str, payload: Value, amount: f64) -> String {
        let call = Call::new("approvals/create").by(&self.requester);
        let body = json!({
            "workflow_id": workflow,
            "title": "Stationery",
            "payload": payload,
            "amount": amount,
        });
        self.env.create(call.body(body)).await
    }

    /// Runs `events` as one batch through a runner with no jobs queue,
    /// which acknowledges every message.
    async fn run_all(&self, events: &[&Value]) {
        let response = self.runner(None).run_batch(&batch(events)).await;
        assert!(response.batch_item_failures.is_empty());
    }

    async fn events_of_type(&self, event_type: &str) -> Vec<Value> {
        self.env.events_of_type(event_type).await
    }

    /// The one event of `event_type`, about `approval`: an action of a
    /// rule, so the system's, one level deeper than the event it ran on.
    async fn action_event(&self, event_type: &str, approval: &str) -> Value {
        let events = self.events_of_type(event_type).await;
        assert_eq!(events.len(), 1, "{event_type}: {events:?}");
        let event = events[0].clone();
        assert_eq!(event["entity_id"], approval, "{event_type}");
        assert_eq!(event["depth"], 1, "{event_type}");
        let system = json!({"id": "system", "role": "system"});
        assert_eq!(event["actor"], system, "{event_type}");
        event
    }

    /// The `approval.created` event of an approval, from the outbox.
    async fn created_event(&self, approval: &str) -> Value {
        self.events_of_type("approval.created")
            .await
            .into_iter()
            .find(|e| e["entity_id"] == approval)
            .expect("an approval.created event")
    }
}

fn batch(envelopes: &[&Value]) -> SqsEvent {
    crate::helpers::queues::sqs_batch(envelopes.iter().copied())
}

fn id_of(envelope: &Value) -> EntityId {
    EntityId::parse(envelope["id"].as_str().unwrap()).unwrap()
}

async fn run_of(store: &Store, event: &Value, rule: &EntityId) -> RunRecord {
    store
        .run_of(&id_of(event), rule)
        .await
        .unwrap()
        .expect("a run")
}

fn small_amounts_rule() -> Value {
    json!({
        "name": "Approve small amounts",
        "trigger": "approval.created",
        "conditions": {"all": [{"path": "data.amount", "op": "lt", "value": 100}]},
        "actions": [
            {"type": "approve", "comment": "Auto-approved: under 100"},
            {"type": "notify_webhook", "topic": "approvals.auto_approved"}
        ],
    })
}

#[tokio::test]
async fn a_rule_approves_a_small_approval_and_leaves_a_large_one_pending() {
    let world = World::new().await;
    let rule = world.rule(small_amounts_rule()).await;
    let small = world.file(42.0).await;
    let large = world.file(2500.0).await;
    let small_created = world.created_event(&small).await;
    let large_created = world.created_event(&large).await;

    world.run_all(&[&small_created, &large_created]).await;
    let store = world.store();
    let status = |id: &str| {
        let store = store.clone();
        let id = EntityId::parse(id).unwrap();
        async move { store.approval_by_id(&id).await.unwrap().unwrap().status }
    };
    assert_eq!(status(&small).await.as_str(), "APPROVED");
    assert_eq!(status(&large).await.as_str(), "PENDING");

    let approved = world.action_event("approval.approved", &small).await;
    assert_eq!(approved["correlation_id"], small_created["correlation_id"]);
    assert_eq!(
        approved["changes"]["status"],
        json!(["PENDING", "APPROVED"])
    );
    assert_eq!(
        approved["changes"]["decision"],
        json!([null, {"rule_id": rule.to_string(), "event_id": small_created["id"],
            "comment": "Auto-approved: under 100"}])
    );

    let run = run_of(&store, &small_created, &rule).await;
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.depth, 0);
    assert_eq!(run.attempts, 1);
    let leaf = &run.evaluation().unwrap()["conditions"]["trace"]["conditions"][0];
    assert_eq!(leaf["path"], "data.amount");
    assert_eq!(leaf["actual"], 42.0);
    assert_eq!(leaf["result"], true);
    let outcomes = run.actions();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|o| o.status == ActionStatus::Ok));
    assert_eq!(outcomes[0].kind, "approve");
    assert_eq!(outcomes[0].detail.as_deref(), Some("APPROVED by the rule"));
    assert!(run.finished_at >= run.started_at);

    let webhooks = drain(&world.sqs, &world.webhooks).await;
    assert_eq!(webhooks.len(), 1);
    assert_eq!(webhooks[0]["topic"], "approvals.auto_approved");
    assert_eq!(webhooks[0]["event"]["id"], small_created["id"]);
}

#[tokio::test]
async fn not_matched_runs_carry_their_trace() {
    let world = World::new().await;
    let rule = world.rule(small_amounts_rule()).await;
    let large = world.file(2500.0).await;
    let created = world.created_event(&large).await;

    world.runner(None).run_batch(&batch(&[&created])).await;

    let run = run_of(&world.store(), &created, &rule).await;
    assert_eq!(run.status, RunStatus::NotMatched);
    let evaluation = run.evaluation().unwrap();
    assert_eq!(evaluation["matched"], false);
    let leaf = &evaluation["conditions"]["trace"]["conditions"][0];
    assert_eq!(leaf["actual"], 2500.0);
    assert_eq!(leaf["result"], false);
    assert!(run
        .actions()
        .iter()
        .all(|o| o.status == ActionStatus::NotRun));
    assert!(drain(&world.sqs, &world.webhooks).await.is_empty());
}

#[tokio::test]
async fn a_redelivered_event_runs_nothing_twice() {
    let world = World::new().await;
    world.rule(small_amounts_rule()).await;
    let small = world.file(10.0).await;
    let created = world.created_event(&small).await;
    let runner = world.runner(None);

    for _ in 0..2 {
        let response = runner.run_batch(&batch(&[&created])).await;
        assert!(response.batch_item_failures.is_empty());
    }

    assert_eq!(world.events_of_type("approval.approved").await.len(), 1);
    assert_eq!(drain(&world.sqs, &world.webhooks).await.len(), 1);
    let runs = world.env.items_of_type("automation_run").await;
    assert_eq!(runs.len(), 1);
}

#[tokio::test]
async fn a_self_triggering_chain_stops_at_depth_three() {
    let world = World::new().await;
    let first = world
        .rule(json!({
            "name": "Note new approvals",
            "trigger": "approval.created",
            "actions": [{"type": "log", "message": "an approval was filed"}],
        }))
        .await;
    let echo = world
        .rule(json!({
            "name": "Note notes",
            "trigger": "automation.logged",
            "actions": [{"type": "log", "message": "a note was logged"}],
        }))
        .await;
    let approval = world.file(5.0).await;
    let created = world.created_event(&approval).await;
    let runner = world.runner(None);
    let store = world.store();

    runner.run_batch(&batch(&[&created])).await;
    let mut fed: Vec<Value> = Vec::new();
    for _ in 0..10 {
        let next: Vec<Value> = world
            .events_of_type("automation.logged")
            .await
            .into_iter()
            .filter(|e| !fed.iter().any(|f| f["id"] == e["id"]))
            .collect();
        if next.is_empty() {
            break;
        }
        for event in &next {
            let response = runner.run_batch(&batch(&[event])).await;
            assert!(response.batch_item_failures.is_empty());
        }
        fed.extend(next);
    }

    assert_eq!(
        run_of(&store, &created, &first).await.status,
        RunStatus::Succeeded
    );
    let mut by_depth: Vec<(u64, RunStatus)> = Vec::new();
    for event in &fed {
        let run = run_of(&store, event, &echo).await;
        assert_eq!(u64::from(run.depth), event["depth"].as_u64().unwrap());
        by_depth.push((u64::from(run.depth), run.status));
    }
    by_depth.sort_by_key(|(depth, _)| *depth);
    assert_eq!(
        by_depth,
        [
            (1, RunStatus::Succeeded),
            (2, RunStatus::Succeeded),
            (3, RunStatus::Skipped),
        ]
    );
    let skipped = run_of(&store, fed.last().unwrap(), &echo).await;
    assert_eq!(skipped.reason.as_deref(), Some("depth 3 reached"));
    assert_eq!(world.events_of_type("automation.logged").await.len(), 3);
}

#[tokio::test]
async fn a_failing_action_is_retried_then_recorded_failed() {
    let world = World::new().await;
    let rule = world
        .rule(json!({
            "name": "Report on filing",
            "trigger": "approval.created",
            "actions": [
                {"type": "log", "message": "reporting"},
                {"type": "notify_webhook", "topic": "reports.requested"},
                {"type": "log", "message": "reported"}
            ],
        }))
        .await;
    let approval = world.file(5.0).await;
    let created = world.created_event(&approval).await;
    let missing = format!(
        "{}/123456789012/no-such-queue-{}",
        std::env::var("AWS_ENDPOINT_URL_SQS").unwrap_or_else(|_| "http://127.0.0.1:5000".into()),
        EntityId::new()
    );
    let runner = world.runner(Some(missing));
    let store = world.store();

    for attempt in 1..=2 {
        let response = runner.run_batch(&batch(&[&created])).await;
        assert_eq!(response.batch_item_failures.len(), 1, "attempt {attempt}");
        assert!(store
            .run_of(&id_of(&created), &rule)
            .await
            .unwrap()
            .is_none());
    }
    let response = runner.run_batch(&batch(&[&created])).await;

    assert!(response.batch_item_failures.is_empty());
    let run = run_of(&store, &created, &rule).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.attempts, 3);
    let outcomes = run.actions();
    assert_eq!(
        outcomes.iter().map(|o| o.status).collect::<Vec<_>>(),
        [ActionStatus::Ok, ActionStatus::Failed, ActionStatus::NotRun]
    );
    assert!(outcomes[1]
        .error
        .as_deref()
        .unwrap()
        .contains("SendMessage"));
    assert!(run.reason.as_deref().unwrap().contains("notify_webhook"));
    // The first action ran once, though the message was delivered three times.
    assert_eq!(
        outcomes[0].detail.as_deref(),
        Some("carried out by an earlier attempt")
    );
    assert_eq!(world.events_of_type("automation.logged").await.len(), 1);
}

#[tokio::test]
async fn an_approval_action_on_an_event_about_something_else_fails_the_run_at_once() {
    let world = World::new().await;
    let rule = world
        .rule(json!({
            "name": "Approve whatever is created",
            "trigger": "*.created",
            "actions": [
                {"type": "approve", "comment": "Created, so approved"},
                {"type": "notify_webhook", "topic": "things.approved"}
            ],
        }))
        .await;
    let workflow_created = world
        .events_of_type("workflow.created")
        .await
        .pop()
        .expect("a workflow.created event");

    world.run_all(&[&workflow_created]).await;
    let run = run_of(&world.store(), &workflow_created, &rule).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.attempts, 1);
    let outcomes = run.actions();
    assert_eq!(outcomes[0].status, ActionStatus::Failed);
    assert_eq!(
        outcomes[0].error.as_deref(),
        Some("acts on an approval, and the event is about a workflow")
    );
    assert_eq!(outcomes[1].status, ActionStatus::NotRun);
    assert!(drain(&world.sqs, &world.webhooks).await.is_empty());
    // The failure is tallied for the detector of failing rules, once,
    // though the event comes again.
    world.run_all(&[&workflow_created]).await;
    let tallied = opsflow_automation::service::failures::recent_rule_failures(
        &world.store(),
        opsflow_platform::clock::now(),
    )
    .await
    .unwrap();
    assert_eq!(tallied.len(), 1);
    assert_eq!(
        (tallied[0].rule_id, tallied[0].count),
        (rule, 1),
        "{tallied:?}"
    );
    assert_eq!(tallied[0].rule_name, "Approve whatever is created");
    assert!(tallied[0].last_reason.contains("acts on an approval"));
}

#[tokio::test]
async fn a_message_that_is_not_an_envelope_is_retried_alone() {
    let world = World::new().await;
    world.rule(small_amounts_rule()).await;
    let approval = world.file(5.0).await;
    let created = world.created_event(&approval).await;
    let poison = json!({"not": "an envelope"});
    let event = batch(&[&poison, &created]);

    let response = world.runner(None).run_batch(&event).await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, [event.records[0].message_id.as_deref().unwrap()]);
    assert_eq!(world.events_of_type("approval.approved").await.len(), 1);
}
