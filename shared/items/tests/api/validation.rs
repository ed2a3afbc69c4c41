//! Bad input to the `items` routes: each refused with the status and the
//! field it is about, and nothing written.

use crate::helpers::{Account, Call, TestEnv};
use crate::{at, named};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

/// Sends each call and checks the answer names the field; the table is
/// unchanged afterwards.
async fn refused(env: &TestEnv, cases: Vec<(Call, u16, &str)>) {
    let before = env.all_items().await;
    for (call, status, field) in cases {
        let reply = env.call(call).await;
        assert_eq!(reply.status, status, "{field}: {}", reply.body);
        reply.assert_problem(status, field);
    }
    assert_eq!(
        env.all_items().await.len(),
        before.len(),
        "nothing is written"
    );
}

fn deep(levels: usize) -> Value {
    (0..levels).fold(json!(1), |inner, _| json!({ "d": inner }))
}

fn bad_bodies() -> Vec<(Value, u16, &'static str)> {
    vec![
        (json!({"name": " "}), 422, "name"),
        (json!({"name": "x".repeat(256)}), 422, "name"),
        (json!({"name": "two\nlines"}), 422, "name"),
        (json!({"name": 5}), 400, "name"),
        (json!({"name": "ok", "status": "deleted"}), 422, "status"),
        (
            json!({"name": "ok", "description": "d".repeat(2001)}),
            422,
            "description",
        ),
        (json!({"name": "ok", "metadata": [1, 2]}), 422, "metadata"),
        (
            json!({"name": "ok", "metadata": {"big": "x".repeat(17 * 1024)}}),
            422,
            "metadata",
        ),
        (json!({"name": "ok", "metadata": deep(17)}), 422, "metadata"),
        (
            json!({"name": "ok", "owner_id": "someone"}),
            400,
            "owner_id",
        ),
    ]
}

async fn user(env: &TestEnv) -> Account {
    env.account("owner", Role::User).await
}

#[tokio::test]
async fn a_create_with_a_bad_field_is_refused_naming_it() {
    let env = crate::env().await;
    let owner = user(&env).await;
    let mut cases: Vec<(Call, u16, &str)> = bad_bodies()
        .into_iter()
        .map(|(body, status, field)| {
            (
                Call::new("items/create").by(&owner).body(body),
                status,
                field,
            )
        })
        .collect();
    cases.push((
        Call::new("items/create").by(&owner).raw_body("{\"name\": "),
        400,
        "body",
    ));
    cases.push((
        Call::new("items/create").by(&owner).body(json!({})),
        422,
        "name",
    ));
    refused(&env, cases).await;
}

#[tokio::test]
async fn a_change_or_replacement_with_a_bad_field_is_refused_naming_it() {
    let env = crate::env().await;
    let owner = user(&env).await;
    let id = named(&env, &owner, "Kept").await;
    let mut cases: Vec<(Call, u16, &str)> = Vec::new();
    for (body, status, field) in bad_bodies() {
        cases.push((
            at("items/patch", &id).by(&owner).body(body.clone()),
            status,
            field,
        ));
        let mut full = body;
        if full.get("status").is_none() {
            full["status"] = json!("active");
        }
        cases.push((at("items/put", &id).by(&owner).body(full), status, field));
    }
    cases.push((
        at("items/patch", &id).by(&owner).body(json!({})),
        422,
        "body",
    ));
    cases.push((
        at("items/patch", &id)
            .by(&owner)
            .body(json!({"version": 1})),
        422,
        "body",
    ));
    cases.push((
        at("items/put", &id)
            .by(&owner)
            .body(json!({"name": "No status"})),
        422,
        "status",
    ));
    cases.push((
        at("items/patch", &id)
            .by(&owner)
            .header("if-match", "one")
            .body(json!({"name": "x"})),
        400,
        "If-Match",
    ));
    refused(&env, cases).await;
    let kept = env.call(at("items/get", &id).by(&owner)).await;
    assert_eq!(kept.body["name"], "Kept");
    assert_eq!(kept.body["version"], 1);
}

#[tokio::test]
async fn a_listing_with_a_bad_parameter_is_refused_naming_it() {
    let env = crate::env().await;
    let owner = user(&env).await;
    let list = |pairs: &[(&str, &str)]| Call::new("items/list").by(&owner).query(pairs);
    let cases = vec![
        (list(&[("status", "gone")]), 422, "status"),
        (list(&[("sort_by", "status")]), 422, "sort_by"),
        (list(&[("sort_order", "up")]), 422, "sort_order"),
        (list(&[("search", "")]), 422, "search"),
        (list(&[("search", &"s".repeat(101))]), 422, "search"),
        (list(&[("limit", "101")]), 422, "limit"),
        (list(&[("cursor", "forged")]), 400, "cursor"),
        (list(&[("owner", "me")]), 400, "owner"),
    ];
    refused(&env, cases).await;
}

#[tokio::test]
async fn an_unknown_or_malformed_id_is_not_found() {
    let env = crate::env().await;
    let owner = user(&env).await;
    for id in ["not-an-id", "0193b2a4-7a00-7b00-8c00-0000000000e1"] {
        let reply = env.call(at("items/get", id).by(&owner)).await;
        assert_eq!(reply.status, 404, "{id}");
        let reply = env
            .call(at("items/patch", id).by(&owner).body(json!({"name": "x"})))
            .await;
        assert_eq!(reply.status, 404, "{id}");
        let reply = env.call(at("items/delete", id).by(&owner)).await;
        assert_eq!(reply.status, 404, "{id}");
    }
}
