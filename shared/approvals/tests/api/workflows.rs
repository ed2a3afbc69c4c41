//! Workflows: design by admins, DRAFT → ACTIVE → ARCHIVED, steps fixed
//! once active, active ones visible to everyone, events for every change.

use crate::helpers::rbac::Callers;
use crate::helpers::{Account, Call, TestEnv};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

fn create_body() -> Value {
    json!({
        "name": "Purchase request",
        "description": "Purchases above the card limit",
        "steps": [
            {"name": "Team lead", "approver_role": "approver", "required_approvals": 2},
            {"approver_role": "admin", "required_approvals": 1}
        ]
    })
}

async fn create(env: &TestEnv, token: &str, body: Value) -> Value {
    let reply = env
        .call(Call::new("workflows/create").token(Some(token)).body(body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

/// Targets `/api/v1/workflows/{id}`.
fn at(call: Call, id: &Value) -> Call {
    call.resource_id("workflows", id.as_str().expect("an id"))
}

/// A test's environment and the admin who designs its workflows.
async fn designer() -> (TestEnv, Account) {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    (env, admin)
}

#[tokio::test]
async fn admins_design_and_activate_a_workflow_and_everyone_sees_it_active() {
    let (env, admin) = designer().await;
    let user = env.account("user", Role::User).await;
    let created = create(&env, &admin.tokens.access, create_body()).await;
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(created["steps"][0]["name"], "Team lead");
    assert_eq!(created["steps"][1]["name"], "Step 2");
    assert_eq!(created["version"], 1);

    // A draft is invisible to users.
    let hidden = env
        .call(at(Call::new("workflows/get"), &created["id"]).by(&user))
        .await;
    assert_eq!(hidden.status, 404);
    let listed = env
        .call(Call::new("workflows/list").by(&user).query(&[]))
        .await;
    assert_eq!(listed.body["items"], json!([]));

    let activated = env
        .call(
            at(Call::new("workflows/patch"), &created["id"])
                .by(&admin)
                .header("if-match", "1")
                .body(json!({"status": "ACTIVE"})),
        )
        .await;
    assert_eq!(activated.status, 200, "{}", activated.body);
    assert_eq!(activated.body["status"], "ACTIVE");
    assert_eq!(activated.header("etag"), Some("\"2\""));

    let seen = env
        .call(at(Call::new("workflows/get"), &created["id"]).by(&user))
        .await;
    assert_eq!(seen.status, 200);
    let listed = env
        .call(Call::new("workflows/list").by(&user).query(&[]))
        .await;
    assert_eq!(listed.body["items"][0]["id"], created["id"]);
    let drafts = env
        .call(
            Call::new("workflows/list")
                .by(&user)
                .query(&[("status", "DRAFT")]),
        )
        .await;
    assert_eq!(drafts.status, 403);

    let events = env.events().await;
    let types: Vec<&str> = events
        .iter()
        .filter_map(|e| e["type"].as_str())
        .filter(|t| t.starts_with("workflow."))
        .collect();
    assert_eq!(types.len(), 2);
    assert!(types.contains(&"workflow.created") && types.contains(&"workflow.activated"));
    let activation = events
        .iter()
        .find(|e| e["type"] == "workflow.activated")
        .unwrap();
    assert_eq!(activation["changes"]["status"], json!(["DRAFT", "ACTIVE"]));
    assert_eq!(activation["data"]["version"], 2);
}

#[tokio::test]
async fn the_life_cycle_only_moves_forward_and_steps_freeze_once_active() {
    let (env, admin) = designer().await;
    let token = admin.tokens.access.clone();
    let patch = |id: &Value, body: Value| {
        at(Call::new("workflows/patch"), id)
            .token(Some(&token))
            .body(body)
    };

    let empty = create(&env, &token, json!({"name": "Empty"})).await;
    let refused = env
        .call(patch(&empty["id"], json!({"status": "ACTIVE"})))
        .await;
    refused.assert_problem(422, "steps");
    let archived_draft = env
        .call(patch(&empty["id"], json!({"status": "ARCHIVED"})))
        .await;
    assert_eq!(archived_draft.status, 409);

    let workflow = create(&env, &token, create_body()).await;
    assert_eq!(
        env.call(patch(&workflow["id"], json!({"status": "ACTIVE"})))
            .await
            .status,
        200
    );
    let new_steps = json!({"steps": [{"approver_role": "approver", "required_approvals": 1}]});
    assert_eq!(
        env.call(patch(&workflow["id"], new_steps)).await.status,
        409
    );
    assert_eq!(
        env.call(patch(&workflow["id"], json!({"status": "DRAFT"})))
            .await
            .status,
        409
    );
    let renamed = env
        .call(patch(&workflow["id"], json!({"name": "Purchases"})))
        .await;
    assert_eq!(
        (renamed.status, renamed.body["name"].clone()),
        (200, json!("Purchases"))
    );
    assert_eq!(
        env.call(patch(&workflow["id"], json!({"status": "ARCHIVED"})))
            .await
            .status,
        200
    );
    assert_eq!(
        env.call(patch(&workflow["id"], json!({"name": "Again"})))
            .await
            .status,
        409
    );
}

#[tokio::test]
async fn one_approver_per_step_is_the_default_and_may_be_waived_only_while_a_draft() {
    let (env, admin) = designer().await;
    let token = admin.tokens.access.clone();
    let patch = |id: &Value, body: Value| {
        at(Call::new("workflows/patch"), id)
            .token(Some(&token))
            .body(body)
    };

    let strict = create(&env, &token, create_body()).await;
    assert_eq!(strict["allow_same_approver_across_steps"], false);
    let mut body = create_body();
    body["allow_same_approver_across_steps"] = json!(true);
    let relaxed = create(&env, &token, body).await;
    assert_eq!(relaxed["allow_same_approver_across_steps"], true);

    let waived = env
        .call(patch(
            &strict["id"],
            json!({"allow_same_approver_across_steps": true}),
        ))
        .await;
    assert_eq!(waived.status, 200, "{}", waived.body);
    assert_eq!(waived.body["allow_same_approver_across_steps"], true);
    let changed = env
        .events()
        .await
        .into_iter()
        .find(|e| e["type"] == "workflow.updated" && e["entity_id"] == strict["id"])
        .expect("an update event");
    assert_eq!(
        changed["changes"]["allow_same_approver_across_steps"],
        json!([false, true])
    );

    let activated = env
        .call(patch(&strict["id"], json!({"status": "ACTIVE"})))
        .await;
    assert_eq!(activated.status, 200, "{}", activated.body);
    let frozen = env
        .call(patch(
            &strict["id"],
            json!({"allow_same_approver_across_steps": false}),
        ))
        .await;
    assert_eq!(frozen.status, 409, "{}", frozen.body);
    let read = env
        .call(at(Call::new("workflows/get"), &strict["id"]).token(Some(&token)))
        .await;
    assert_eq!(read.body["allow_same_approver_across_steps"], true);
}

#[tokio::test]
async fn stale_versions_are_refused() {
    let (env, admin) = designer().await;
    let token = admin.tokens.access.clone();
    let workflow = create(&env, &token, create_body()).await;
    let patch = || at(Call::new("workflows/patch"), &workflow["id"]).token(Some(&token));
    assert_eq!(
        env.call(patch().header("if-match", "1").body(json!({"name": "A"})))
            .await
            .status,
        200
    );
    assert_eq!(
        env.call(patch().header("if-match", "1").body(json!({"name": "B"})))
            .await
            .status,
        412
    );
    assert_eq!(
        env.call(patch().body(json!({"name": "B", "version": 1})))
            .await
            .status,
        409
    );
    let delete = env
        .call(
            at(Call::new("workflows/delete"), &workflow["id"])
                .token(Some(&token))
                .header("if-match", "1"),
        )
        .await;
    assert_eq!(delete.status, 412);
}

#[tokio::test]
async fn admins_delete_workflows_and_the_deletion_is_an_event() {
    let (env, admin) = designer().await;
    let token = admin.tokens.access.clone();
    let workflow = create(&env, &token, create_body()).await;
    let deleted = env
        .call(at(Call::new("workflows/delete"), &workflow["id"]).token(Some(&token)))
        .await;
    assert_eq!(deleted.status, 204);
    let gone = env
        .call(at(Call::new("workflows/get"), &workflow["id"]).token(Some(&token)))
        .await;
    assert_eq!(gone.status, 404);
    assert!(env
        .events()
        .await
        .iter()
        .any(|e| e["type"] == "workflow.deleted" && e["entity_id"] == workflow["id"]));
}

#[tokio::test]
async fn only_admins_change_workflows() {
    let env = crate::env().await;
    let callers = Callers::sign_up(&env).await;
    let (admin, approver, user) = (&callers.admin, &callers.approver, &callers.user);
    let workflow = create(&env, &admin.tokens.access, create_body()).await;
    for token in [
        Some(user.tokens.access.as_str()),
        Some(approver.tokens.access.as_str()),
    ] {
        assert_eq!(
            env.call(
                Call::new("workflows/create")
                    .token(token)
                    .body(create_body())
            )
            .await
            .status,
            403
        );
        assert_eq!(
            env.call(
                at(Call::new("workflows/patch"), &workflow["id"])
                    .token(token)
                    .body(json!({"name": "x"}))
            )
            .await
            .status,
            403
        );
        assert_eq!(
            env.call(at(Call::new("workflows/delete"), &workflow["id"]).token(token))
                .await
                .status,
            403
        );
    }
    assert_eq!(
        env.call(Call::new("workflows/list").token(None))
            .await
            .status,
        401
    );
    assert_eq!(
        env.call(
            Call::new("workflows/create")
                .token(None)
                .body(create_body())
        )
        .await
        .status,
        401
    );
}

#[tokio::test]
async fn bad_workflows_are_refused_with_the_path_and_nothing_is_written() {
    let (env, admin) = designer().await;
    let token = admin.tokens.access.clone();
    let before = env.all_items().await.len();
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"name": ""}), 422, "name"),
        (json!({"name": "x".repeat(121)}), 422, "name"),
        (
            json!({"name": "Ok", "description": "d".repeat(2001)}),
            422,
            "description",
        ),
        (json!({"name": "Ok", "owner": "me"}), 400, "owner"),
        (json!({"name": 5}), 400, "name"),
        (
            json!({"name": "Ok", "steps": [{"approver_role": "root", "required_approvals": 1}]}),
            422,
            "steps[0].approver_role",
        ),
        (
            json!({"name": "Ok", "steps": [{"approver_role": "user", "required_approvals": 0}]}),
            422,
            "steps[0].required_approvals",
        ),
        (
            json!({"name": "Ok", "steps": [{"approver_role": "user", "approver_ids": [], "required_approvals": 1}]}),
            422,
            "steps[0].approver_role",
        ),
        (
            json!({"name": "Ok", "steps": [{"approver_role": "user", "required_approvals": 1, "quorum": 2}]}),
            400,
            "steps[0].quorum",
        ),
        (
            json!({"name": "Ok", "steps": [{"approver_ids": ["not-an-id"], "required_approvals": 1}]}),
            422,
            "steps[0].approver_ids",
        ),
        (
            json!({"name": "Ok", "allow_same_approver_across_steps": "yes"}),
            400,
            "allow_same_approver_across_steps",
        ),
    ];
    for (body, status, field) in cases {
        let reply = env
            .call(
                Call::new("workflows/create")
                    .token(Some(&token))
                    .body(body.clone()),
            )
            .await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
        reply.assert_problem(status, field);
    }
    let bad_status = env
        .call(
            Call::new("workflows/list")
                .token(Some(&token))
                .query(&[("status", "OPEN")]),
        )
        .await;
    bad_status.assert_problem(422, "status");
    assert_eq!(env.all_items().await.len(), before);
}
