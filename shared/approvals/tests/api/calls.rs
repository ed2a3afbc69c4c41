//! Calls several of these tests make: a change of an approval's status,
//! and an approval as someone reads it.

use crate::helpers::{Account, Call, Reply, TestEnv};
use serde_json::Value;

/// `PATCH /approvals/{id}` with `body`, as `who`.
pub async fn decide(env: &TestEnv, who: &Account, id: &str, body: Value) -> Reply {
    env.call(
        Call::new("approvals/patch")
            .resource_id("approvals", id)
            .by(who)
            .body(body),
    )
    .await
}

/// The approval `id` as `who` reads it (which must be a 200).
pub async fn approval(env: &TestEnv, who: &Account, id: &str) -> Value {
    let reply = env
        .call(
            Call::new("approvals/get")
                .resource_id("approvals", id)
                .by(who),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}
