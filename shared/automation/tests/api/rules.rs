//! Rules: admins write them, each checked as a whole with the path of
//! every problem; PATCH merges and checks again; listings by state (in
//! priority order) and by trigger; every change is an event.

use crate::helpers::rbac::Callers;
use crate::helpers::{page_column, Account, Call, TestEnv};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

fn small_purchases() -> Value {
    json!({
        "name": "Auto-approve small purchases",
        "trigger": "approval.created",
        "conditions": {"all": [
            {"path": "data.amount", "op": "lt", "value": 100},
            {"not": {"path": "data.payload.category", "op": "eq", "value": "travel"}}
        ]},
        "actions": [{"type": "approve", "comment": "Auto-approved: under 100"}],
        "priority": 10
    })
}

fn at(call: Call, id: &str) -> Call {
    call.resource_id("api/v1/rules", id)
}

async fn create(env: &TestEnv, admin: &Account, body: Value) -> Value {
    let reply = env
        .call(Call::new("rules/create").by(admin).body(body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

fn names(page: &Value) -> Vec<String> {
    page_column(page, "name")
}

#[tokio::test]
async fn admins_write_read_change_and_delete_rules_and_every_change_is_an_event() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let token = Some(admin.tokens.access.as_str());
    let created = create(&env, &admin, small_purchases()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["enabled"], true);
    assert_eq!(created["priority"], 10);
    assert_eq!(created["conditions"]["all"][0]["op"], "lt");
    assert_eq!(created["version"], 1);

    let read = env.call(at(Call::new("rules/get"), &id).token(token)).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created);
    assert_eq!(read.header("etag"), Some("\"1\""));

    // A partial change keeps the rest; `conditions: null` drops them.
    let changed = env
        .call(
            at(Call::new("rules/patch"), &id)
                .token(token)
                .header("if-match", "1")
                .body(json!({"enabled": false, "conditions": null})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["enabled"], false);
    assert!(changed.body.get("conditions").is_none());
    assert_eq!(changed.body["actions"], created["actions"]);
    assert_eq!(changed.body["version"], 2);

    let stale = env
        .call(
            at(Call::new("rules/patch"), &id)
                .token(token)
                .header("if-match", "1")
                .body(json!({"enabled": true})),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);

    let deleted = env
        .call(at(Call::new("rules/delete"), &id).token(token))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let gone = env.call(at(Call::new("rules/get"), &id).token(token)).await;
    assert_eq!(gone.status, 404);

    let mut events: Vec<Value> = env
        .events()
        .await
        .into_iter()
        .filter(|e| e["entity"] == "rule")
        .collect();
    events.sort_by_key(|e| e["id"].as_str().expect("an id").to_owned());
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["rule.created", "rule.updated", "rule.deleted"]);
    assert_eq!(events[1]["changes"]["enabled"], json!([true, false]));
    assert_eq!(events[1]["changes"]["conditions"][1], Value::Null);
    assert_eq!(events[1]["actor"]["id"], admin.id.as_str());
}

#[tokio::test]
async fn invalid_rules_are_refused_with_the_path_of_each_problem_and_nothing_is_written() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let existing = create(&env, &admin, small_purchases()).await;
    let id = existing["id"].as_str().unwrap().to_owned();
    let before = env.all_items().await.len();
    let with = |change: Value| {
        let mut rule = small_purchases();
        for (key, value) in change.as_object().unwrap() {
            rule[key] = value.clone();
        }
        rule
    };
    let cases: Vec<(Value, u16, &str)> = vec![
        (with(json!({"trigger": "approval..x"})), 422, "trigger"),
        (with(json!({"name": ""})), 422, "name"),
        (with(json!({"priority": 5000})), 422, "priority"),
        (
            with(json!({"conditions": {"path": "secrets.key", "op": "eq", "value": 1}})),
            422,
            "conditions.path",
        ),
        (
            with(json!({"conditions": {"all": [
                {"path": "data.amount", "op": "lt", "value": 1},
                {"path": "data.amount", "op": "in", "value": 5}
            ]}})),
            422,
            "conditions.all[1].value",
        ),
        (
            with(json!({"conditions": {"path": "data.amount", "op": "near", "value": 1}})),
            422,
            "conditions.op",
        ),
        (
            with(json!({"actions": [{"type": "teleport"}]})),
            422,
            "actions[0].type",
        ),
        (
            with(json!({"actions": [{"type": "notify_webhook", "topic": "Bad Topic"}]})),
            422,
            "actions[0].topic",
        ),
        (
            with(json!({"trigger": "user.registered"})),
            422,
            "actions[0]",
        ),
        (with(json!({"colour": "red"})), 400, "colour"),
        (with(json!({"enabled": "yes"})), 400, "enabled"),
    ];
    let creates = cases
        .into_iter()
        .map(|(body, status, field)| (Call::new("rules/create").body(body), status, field));
    // A change that would make the stored rule invalid is refused too.
    let patches = [
        (json!({"trigger": "user.*"}), 422, "actions[0]"),
        (json!({"actions": []}), 422, "actions"),
        (json!({"owner": "me"}), 400, "owner"),
        (json!({}), 422, "body"),
    ]
    .map(|(body, status, field)| (at(Call::new("rules/patch"), &id).body(body), status, field));
    for (call, status, field) in creates.chain(patches) {
        let reply = env.call(call.by(&admin)).await;
        assert_eq!(reply.status, status, "{field}: {}", reply.body);
        let named = reply.error_fields().contains(&field);
        assert!(named, "{field}: {}", reply.body);
    }
    assert_eq!(env.all_items().await.len(), before);
}

#[tokio::test]
async fn listings_filter_by_state_in_priority_order_and_by_trigger() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    for (name, trigger, priority, enabled) in [
        ("late", "approval.*", 500, true),
        ("early", "approval.created", 5, true),
        ("middle", "approval.created", 50, true),
        ("off", "approval.created", 1, false),
        ("users", "user.registered", 20, true),
    ] {
        create(
            &env,
            &admin,
            json!({"name": name, "trigger": trigger, "priority": priority, "enabled": enabled,
                   "actions": [{"type": "log", "message": name}]}),
        )
        .await;
    }
    let list = |query: &[(&str, &str)]| Call::new("rules/list").by(&admin).query(query);
    // Enabled rules in the order they apply, a page at a time.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("enabled", "true"), ("limit", "2")];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let page = env.call(list(&query)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(names(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["early", "users", "middle", "late"]);

    let disabled = env.call(list(&[("enabled", "false")])).await;
    assert_eq!(names(&disabled.body), ["off"]);
    let created_rules = env.call(list(&[("trigger", "approval.created")])).await;
    assert_eq!(names(&created_rules.body), ["off", "middle", "early"]);
    let both = env
        .call(list(&[
            ("trigger", "approval.created"),
            ("enabled", "true"),
        ]))
        .await;
    assert_eq!(names(&both.body), ["early", "middle"]);
    let everything = env.call(list(&[])).await;
    assert_eq!(
        names(&everything.body),
        ["users", "off", "middle", "early", "late"]
    );
    for (query, field) in [
        (vec![("enabled", "maybe")], "enabled"),
        (vec![("trigger", "Approval")], "trigger"),
    ] {
        let reply = env.call(list(&query)).await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert_eq!(reply.body["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn only_admins_reach_the_rules() {
    let env = crate::env().await;
    let callers = Callers::sign_up(&env).await;
    let (admin, approver, user) = (&callers.admin, &callers.approver, &callers.user);
    let rule = create(&env, admin, small_purchases()).await;
    let id = rule["id"].as_str().unwrap();
    let calls = || {
        vec![
            Call::new("rules/list").query(&[]),
            Call::new("rules/create").body(small_purchases()),
            at(Call::new("rules/get"), id),
            at(Call::new("rules/patch"), id).body(json!({"enabled": false})),
            at(Call::new("rules/delete"), id),
        ]
    };
    for call in calls() {
        assert_eq!(env.call(call.token(None)).await.status, 401);
    }
    for who in [approver, user] {
        for call in calls() {
            let reply = env.call(call.by(who)).await;
            assert_eq!(reply.status, 403, "{}", reply.body);
        }
    }
    let read = env.call(at(Call::new("rules/get"), id).by(admin)).await;
    assert_eq!(read.body["version"], 1);
}
