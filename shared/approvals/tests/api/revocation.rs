//! Revocation is immediate: once a session has ended, no request made with
//! its access token gets a 2xx, whether it reads (which runs side by side
//! with the session check) or writes (which waits for it, or carries its
//! conditions), and no write made with it is stored.

use crate::helpers::{filing, page_column, Account, Call, TestEnv};
use opsflow_platform::domain::Role;
use serde_json::json;

/// Every listed request, sent as `who`, is answered 401.
async fn all_refused(env: &TestEnv, calls: Vec<(&str, Call)>) {
    for (what, call) in calls {
        let reply = env.call(call).await;
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
        assert_eq!(
            reply.body["detail"], "the session has ended; log in again",
            "{what}"
        );
    }
}

fn reads(who: &Account, approval: &str, workflow: &str) -> Vec<(&'static str, Call)> {
    vec![
        ("me", Call::new("auth/me").by(who)),
        (
            "own user",
            Call::new("users/get").resource_id("users", &who.id).by(who),
        ),
        (
            "own approval",
            Call::new("approvals/get")
                .resource_id("approvals", approval)
                .by(who),
        ),
        ("approvals", Call::new("approvals/list").by(who)),
        (
            "workflow",
            Call::new("workflows/get")
                .resource_id("workflows", workflow)
                .by(who),
        ),
        ("workflows", Call::new("workflows/list").by(who)),
    ]
}

#[tokio::test]
async fn an_ended_session_gets_no_2xx_on_reads_or_writes_and_writes_nothing() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("requester", Role::User).await;
    let workflow = env.active_workflow(&admin, "Purchase request").await;
    let approval = env.file_approval(&user, &workflow, "Two laptops").await;
    // Live, each read answers.
    for (what, call) in reads(&user, &approval, &workflow) {
        let reply = env.call(call).await;
        assert_eq!(reply.status, 200, "{what}: {}", reply.body);
    }

    let logout = env.call(Call::new("auth/logout").by(&user)).await;
    assert_eq!(logout.status, 204);

    all_refused(&env, reads(&user, &approval, &workflow)).await;
    let cancel = Call::new("approvals/patch")
        .resource_id("approvals", &approval)
        .by(&user)
        .body(json!({"status": "CANCELLED"}));
    let rename = Call::new("users/patch")
        .resource_id("users", &user.id)
        .by(&user)
        .body(json!({"name": "Someone else"}));
    all_refused(
        &env,
        vec![
            ("file", filing(&user, &workflow, "Two more laptops")),
            ("cancel", cancel),
            ("rename", rename),
        ],
    )
    .await;

    // Nothing was written: one request, still pending, by the same name.
    let pending = Call::new("approvals/list").by(&admin);
    let pending = env.call(pending.query(&[("status", "PENDING")])).await;
    assert_eq!(page_column(&pending.body, "id"), [approval]);
    let account = env
        .call(
            Call::new("users/get")
                .resource_id("users", &user.id)
                .by(&admin),
        )
        .await;
    assert_eq!(account.body["name"], "requester");
}

#[tokio::test]
async fn a_write_sent_before_the_check_ends_is_refused_for_an_ended_session() {
    // Creating a workflow writes first: its transaction goes at once,
    // carrying the session's conditions (`auth::gate`).
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let create = |name: &str| {
        Call::new("workflows/create")
            .by(&admin)
            .body(json!({"name": name}))
    };
    let live = env.call(create("While signed in")).await;
    assert_eq!(live.status, 201, "{}", live.body);

    let logout = env.call(Call::new("auth/logout").by(&admin)).await;
    assert_eq!(logout.status, 204);
    let before = env.all_items().await.len();
    all_refused(&env, vec![("create", create("After logout"))]).await;
    assert_eq!(env.all_items().await.len(), before, "something was written");
}
