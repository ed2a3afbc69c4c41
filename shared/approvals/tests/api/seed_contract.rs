//! What clients written for other approval systems send: `reason` on a
//! decision, as the same field as `comment`.

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
