//! What clients written for other approval systems send and expect:
//! `reason` on a decision, as the same field as `comment`; an auditor
//! role that reads everything and changes nothing.

use crate::calls::decide;
use crate::helpers::{Account, Call, Reply};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

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

#[tokio::test]
async fn a_workflow_carries_a_type_in_upper_case_while_it_is_not_archived() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let body = |workflow_type: Value| {
        json!({"name": "High value", "type": workflow_type, "steps": [
            {"name": "Review", "approver_role": "approver", "required_approvals": 1}]})
    };
    for bad in [
        json!("1ST"),
        json!("HIGH-VALUE"),
        json!("A".repeat(65)),
        json!(7),
    ] {
        let refused = env
            .call(
                Call::new("workflows/create")
                    .by(&admin)
                    .body(body(bad.clone())),
            )
            .await;
        assert!(
            matches!(refused.status, 400 | 422),
            "{bad}: {}",
            refused.body
        );
        assert!(
            refused.body.to_string().contains("type"),
            "{}",
            refused.body
        );
    }
    let created = env
        .call(
            Call::new("workflows/create")
                .by(&admin)
                .body(body(json!(" high_value_transaction "))),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["type"], "HIGH_VALUE_TRANSACTION");
    let id = created.body["id"].as_str().unwrap().to_owned();
    env.activate_workflow(&admin, &id).await;
    // A request keeps the type its workflow had when it was filed, and its
    // events carry it (so rules can match on it).
    let requester = env.account("requester", Role::User).await;
    let filed = env.file_approval(&requester, &id, "Wire").await;
    let shown = env
        .call(
            Call::new("approvals/get")
                .resource_id("approvals", &filed)
                .by(&requester),
        )
        .await;
    assert_eq!(shown.body["workflow_type"], "HIGH_VALUE_TRANSACTION");
    let created_event = env.events_of_type("approval.created").await;
    assert_eq!(
        created_event[0]["data"]["workflow_type"],
        "HIGH_VALUE_TRANSACTION"
    );

    let patch = |body: Value| {
        Call::new("workflows/patch")
            .resource_id("workflows", &id)
            .by(&admin)
            .body(body)
    };
    let retyped = env.call(patch(json!({"type": "Wire_Transfer"}))).await;
    assert_eq!(retyped.status, 200, "{}", retyped.body);
    assert_eq!(retyped.body["type"], "WIRE_TRANSFER");
    let events = env.events_of_type("workflow.updated").await;
    assert_eq!(
        events.last().unwrap()["changes"]["type"],
        json!(["HIGH_VALUE_TRANSACTION", "WIRE_TRANSFER"])
    );
    let untyped = env.call(patch(json!({"type": ""}))).await;
    assert_eq!(untyped.body["type"], Value::Null);
    let kept = env
        .call(
            Call::new("approvals/get")
                .resource_id("approvals", &filed)
                .by(&requester),
        )
        .await;
    assert_eq!(kept.body["workflow_type"], "HIGH_VALUE_TRANSACTION");
    env.set_workflow_status(&admin, &id, "ARCHIVED").await;
    let archived = env.call(patch(json!({"type": "LATE"}))).await;
    assert_eq!(archived.status, 409);
}

#[tokio::test]
async fn workflows_are_listed_by_type() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;
    let mut ids = Vec::new();
    for (name, kind) in [
        ("Wires", Some("HIGH_VALUE_TRANSACTION")),
        ("Desks", Some("PURCHASE_REQUEST")),
        ("Loans", Some("HIGH_VALUE_TRANSACTION")),
        ("Misc", None),
    ] {
        let mut body = json!({"name": name, "steps": [
            {"approver_role": "approver", "required_approvals": 1}]});
        if let Some(kind) = kind {
            body["type"] = json!(kind);
        }
        let id = env
            .create(Call::new("workflows/create").by(&admin).body(body))
            .await;
        ids.push(id);
    }
    env.activate_workflow(&admin, &ids[0]).await;
    let list =
        |who: &Account, query: &[(&str, &str)]| Call::new("workflows/list").by(who).query(query);
    let names = |reply: &Reply| -> Vec<String> {
        assert_eq!(reply.status, 200, "{}", reply.body);
        crate::helpers::page_column(&reply.body, "name")
    };
    // Newest first, any case, across pages of one.
    let all = env
        .call(list(&admin, &[("type", "high_value_transaction")]))
        .await;
    assert_eq!(names(&all), ["Loans", "Wires"]);
    let first = env
        .call(list(
            &admin,
            &[("type", "HIGH_VALUE_TRANSACTION"), ("limit", "1")],
        ))
        .await;
    assert_eq!(names(&first), ["Loans"]);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let query = [
        ("type", "HIGH_VALUE_TRANSACTION"),
        ("limit", "1"),
        ("cursor", cursor.as_str()),
    ];
    let second = env.call(list(&admin, &query)).await;
    assert_eq!(names(&second), ["Wires"]);
    // With a status; and a user sees the active ones only.
    let drafts = env
        .call(list(
            &admin,
            &[("type", "HIGH_VALUE_TRANSACTION"), ("status", "DRAFT")],
        ))
        .await;
    assert_eq!(names(&drafts), ["Loans"]);
    let active = env
        .call(list(&user, &[("type", "HIGH_VALUE_TRANSACTION")]))
        .await;
    assert_eq!(names(&active), ["Wires"]);
    env.call(list(&admin, &[("type", "9x")]))
        .await
        .assert_problem(422, "type");
}
