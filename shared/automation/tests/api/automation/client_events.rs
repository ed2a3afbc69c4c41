//! Client events are audit-only: what a client reports through `POST
//! /api/v1/auditLogs` (a `client.<action>` event with an entity, an id and
//! changes of its choosing) runs no rule, and an approval action never
//! acts on one, even when a rule is run on it directly.

use super::{id_of, World};
use opsflow_approvals::store::ApprovalStore;
use opsflow_automation::store::runs::{ActionStatus, RunStatus};
use opsflow_automation::store::RunStore;
use opsflow_platform::domain::EntityId;
use opsflow_platform::events::{Actor, Envelope};
use serde_json::{json, Value};

/// The rule of the report: approve whatever "created" event names a
/// workflow in its changes.
fn approve_anything_created() -> Value {
    json!({
        "name": "Approve what is created with a workflow",
        "trigger": "*.created",
        "conditions": {"all": [{"path": "changes.workflow_id", "op": "exists", "value": true}]},
        "actions": [{"type": "approve", "comment": "Created, so approved"}],
    })
}

impl World {
    /// The event `POST /api/v1/auditLogs {"action":"created","entity":"approval",
    /// "entity_id":<approval>,"details":{"workflow_id":[null,<workflow>]}}`
    /// commits when the requester sends it.
    fn client_report(&self, approval: &str) -> Value {
        let actor = Actor {
            id: self.requester.id.clone(),
            role: self.requester.role.to_string(),
        };
        let mut event = Envelope::new(
            "client.created",
            "approval",
            approval,
            actor,
            "corr-client",
            Value::Null,
        );
        event.changes = json!({"workflow_id": [null, self.workflow]})
            .as_object()
            .cloned()
            .unwrap();
        serde_json::to_value(event).unwrap()
    }

    async fn status_of(&self, approval: &str) -> String {
        let id = EntityId::parse(approval).unwrap();
        let record = self.store().approval_by_id(&id).await.unwrap().unwrap();
        record.status.as_str().to_owned()
    }
}

/// A world whose rule approves anything created, with an approval filed
/// and the requester's report about it: the world, the rule, the
/// approval and the report.
async fn reported() -> (World, EntityId, String, Value) {
    let world = World::new().await;
    let rule = world.rule(approve_anything_created()).await;
    let approval = world.file(99_999.0).await;
    let report = world.client_report(&approval);
    (world, rule, approval, report)
}

#[tokio::test]
async fn a_client_report_about_an_approval_runs_no_rule_and_never_decides_it() {
    let (world, rule, approval, report) = reported().await;

    world.run_all(&[&report]).await;
    assert_eq!(world.status_of(&approval).await, "PENDING");
    assert!(world.events_of_type("approval.approved").await.is_empty());
    let run = world.store().run_of(&id_of(&report), &rule).await.unwrap();
    assert!(run.is_none(), "no rule runs on a client's event: {run:?}");
}

#[tokio::test]
async fn an_approval_action_refuses_a_client_report_even_when_the_rule_is_run_on_it_directly() {
    let (world, rule_id, approval, report) = reported().await;
    let envelope: Envelope = serde_json::from_value(report.clone()).unwrap();
    let runner = world.runner(None);
    let rule = runner
        .load_rules()
        .await
        .unwrap()
        .into_iter()
        .find(|rule| rule.id == rule_id)
        .unwrap();

    let run = runner.run_rule(&rule, &envelope, &report, 1).await.unwrap();

    assert_eq!(run.status, RunStatus::Failed);
    let outcomes = run.actions();
    assert_eq!(outcomes[0].status, ActionStatus::Failed);
    assert_eq!(
        outcomes[0].error.as_deref(),
        Some("acts only on the platform's events, and client.created is a client's report")
    );
    assert_eq!(world.status_of(&approval).await, "PENDING");
}

#[tokio::test]
async fn a_client_report_in_a_batch_is_acknowledged_while_the_platform_s_events_run() {
    let (world, rule, approval, report) = reported().await;
    let created = world.created_event(&approval).await;

    world.run_all(&[&report, &created]).await;
    let store = world.store();
    assert!(store
        .run_of(&id_of(&report), &rule)
        .await
        .unwrap()
        .is_none());
    // The platform's own event is run: its changes name no workflow, so
    // the rule does not match, and the approval stays pending.
    let run = store
        .run_of(&id_of(&created), &rule)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.status, RunStatus::NotMatched);
    assert_eq!(world.status_of(&approval).await, "PENDING");
}
