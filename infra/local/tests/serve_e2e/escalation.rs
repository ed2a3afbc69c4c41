//! Escalation through the local runtime: a step with a deadline of a few
//! seconds is escalated by the template's `scheduler` function (two ticks
//! fired at once, as overlapping EventBridge deliveries would), once; the
//! admins it escalates to find it and decide it; the audit trail names
//! the system as the escalation's actor.

use super::{poll_until, subject, trail, Demo};
use opsflow_local::InvokeOutcome;
use serde_json::{json, Value};

/// A scheduled event, as EventBridge sends one to the scheduler.
pub(super) fn tick() -> Vec<u8> {
    let mut event: Value =
        serde_json::from_str(include_str!("../../../../events/scheduler/scheduled.json"))
            .expect("the fixture is JSON");
    event["id"] = json!(uuid::Uuid::new_v4().to_string());
    event.to_string().into_bytes()
}

#[tokio::test]
async fn a_step_past_its_deadline_is_escalated_once_by_the_scheduler_and_decided_by_an_admin() {
    let demo = Demo::start().await;
    let client = &demo.client;
    let steps = json!([{"name": "Team lead", "approver_role": "approver", "required_approvals": 1,
                        "escalate_after": "2s", "escalate_to_role": "admin"}]);
    let (status, workflow) = client
        .post(
            "/api/v1/workflows",
            &demo.admin,
            json!({"name": "Urgent", "type": "HIGH_VALUE_TRANSACTION", "steps": steps}),
        )
        .await;
    assert_eq!(status, 201, "{workflow}");
    let workflow_path = format!("/api/v1/workflows/{}", workflow["id"].as_str().unwrap());
    let (status, body) = client
        .patch(&workflow_path, &demo.admin, json!({"status": "ACTIVE"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, filed) = client
        .post(
            "/api/v1/approvals",
            &demo.user,
            json!({"workflow_id": workflow["id"], "title": "Wire transfer", "amount": 250000}),
        )
        .await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/approvals/{id}");
    let assigned = "/api/v1/approvals?assigned=me&status=ESCALATED";
    let (_, none) = client.get(assigned, &demo.admin).await;
    assert_eq!(none["items"], json!([]), "{none}");

    // Past the deadline, two ticks at once.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let runtime = &demo.platform.runtime;
    let (first, second) = tokio::join!(
        runtime.invoke_function("SchedulerFunction", tick()),
        runtime.invoke_function("SchedulerFunction", tick()),
    );
    let mut done = 0;
    for (outcome, _) in [first, second] {
        let InvokeOutcome::Success(payload) = outcome else {
            panic!("the tick failed: {outcome:?}");
        };
        let report: Value = serde_json::from_slice(&payload).expect("a JSON report");
        assert_eq!(report["escalations"]["failed"], 0, "{report}");
        done += report["escalations"]["done"].as_u64().unwrap();
    }
    assert_eq!(done, 1, "escalated once by the two ticks together");

    let (_, approval) = client.get(&path, &demo.user).await;
    assert_eq!(approval["status"], "ESCALATED", "{approval}");
    let (_, found) = client.get(assigned, &demo.admin).await;
    assert_eq!(found["items"][0]["id"], id.as_str(), "{found}");
    let (status, decided) = client
        .patch(
            &path,
            &demo.admin,
            json!({"status": "APPROVED", "reason": "Checked with the bank"}),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["status"], "APPROVED");

    // The trail, through the pipeline: filed, its risk scored and the
    // step escalated by the system, approved by the admin.
    let audit = format!("/api/v1/auditLogs?entity=approval&entity_id={id}");
    let page = poll_until(client, &demo.admin, &audit, |page| {
        page["items"].as_array().map(Vec::len) >= Some(4)
    })
    .await;
    assert_eq!(
        trail(&page),
        [
            ("approval.created".to_owned(), subject(&demo.user)),
            ("approval.risk_scored".to_owned(), "system".to_owned()),
            ("approval.escalated".to_owned(), "system".to_owned()),
            ("approval.approved".to_owned(), subject(&demo.admin)),
        ]
    );
    demo.finish().await;
}
