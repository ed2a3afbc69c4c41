//! What clients written for other approval systems send and expect:
//! `reason` on a decision, as the same field as `comment`; an auditor
//! role that reads everything and changes nothing.

use crate::helpers::{Account, Call, Reply, TestEnv};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

async fn decide(env: &TestEnv, who: &Account, id: &str, body: Value) -> Reply {
    env.call(
        Call::new("approvals/patch")
            .resource_id("approvals", id)
            .by(who)
            .body(body),
    )
    .await
}

#[tokio::test]
async fn a_decision_takes_its_comment_as_reason_too() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let requester = env.account("requester", Role::User).await;
    let workflow = env.active_workflow(&admin, "Purchases").await;
    let rejected = env.file_approval(&requester, &workflow, "Laptop").await;
    let approved = env.file_approval(&requester, &workflow, "Desk").await;

    for (body, field) in [
        (
            json!({"status": "REJECTED", "reason": "Over budget", "comment": "Too much"}),
            "reason",
        ),
        (
            json!({"status": "REJECTED", "reason": "r".repeat(1001)}),
            "reason",
        ),
        (json!({"status": "REJECTED", "reason": 7}), "reason"),
    ] {
        let refused = decide(&env, &approver, &rejected, body).await;
        assert!(matches!(refused.status, 400 | 422), "{}", refused.body);
        assert!(refused.body.to_string().contains(field), "{}", refused.body);
    }
    let reply = decide(
        &env,
        &approver,
        &rejected,
        json!({"status": "REJECTED", "reason": "Over budget"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "REJECTED");
    assert_eq!(reply.body["decisions"][0]["comment"], "Over budget");

    // Both names, saying the same: one comment.
    let same = json!({"status": "APPROVED", "reason": "Fine", "comment": " Fine "});
    let reply = decide(&env, &approver, &approved, same).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["decisions"][0]["comment"], "Fine");
}

#[tokio::test]
async fn an_auditor_reads_every_approval_and_workflow_and_decides_nothing() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let auditor = env.account("auditor", Role::Auditor).await;
    let requester = env.account("requester", Role::User).await;
    // A step may not name auditors as its role.
    let by_role = json!({"name": "Audit", "steps": [
        {"name": "Review", "approver_role": "auditor", "required_approvals": 1}]});
    let refused = env
        .call(Call::new("workflows/create").by(&admin).body(by_role))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.to_string().contains("steps[0].approver_role"));
    // Named by id, an auditor still decides nothing.
    let by_id = json!({"name": "Named", "steps": [
        {"name": "Review", "approver_ids": [auditor.id], "required_approvals": 1}]});
    let workflow = env
        .create(Call::new("workflows/create").by(&admin).body(by_id))
        .await;
    let draft = env
        .call(
            Call::new("workflows/get")
                .resource_id("workflows", &workflow)
                .by(&auditor),
        )
        .await;
    assert_eq!(draft.status, 200, "an auditor reads drafts: {}", draft.body);
    env.activate_workflow(&admin, &workflow).await;
    let id = env.file_approval(&requester, &workflow, "Chairs").await;
    let read = env
        .call(
            Call::new("approvals/get")
                .resource_id("approvals", &id)
                .by(&auditor),
        )
        .await;
    assert_eq!(read.status, 200);
    let decided = decide(
        &env,
        &auditor,
        &id,
        json!({"status": "APPROVED", "reason": "Looks fine"}),
    )
    .await;
    assert_eq!(decided.status, 403, "{}", decided.body);
    let filed = env
        .call(
            Call::new("approvals/create")
                .by(&auditor)
                .body(json!({"workflow_id": workflow, "title": "Mine"})),
        )
        .await;
    assert_eq!(filed.status, 403);
}
