//! Approvals: filing against active workflows, step-by-step decisions with
//! quorums, cancellation, visibility, listings, races, and the event each
//! transition commits with it.

use crate::helpers::{filing, page_column, Account, Call, TestEnv};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};
use std::collections::HashSet;

/// Creates and activates a workflow with `steps`, as `admin`.
async fn active_workflow(env: &TestEnv, admin: &Account, steps: Value) -> String {
    active_workflow_from(
        env,
        admin,
        json!({"name": "Purchase request", "steps": steps}),
    )
    .await
}

/// A test's environment with the admin who designs its workflows and the
/// user who files its requests.
async fn office() -> (TestEnv, Account, Account) {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let requester = env.account("requester", Role::User).await;
    (env, admin, requester)
}

/// One step, decided by one approver.
fn one_review() -> Value {
    json!([{"approver_role": "approver", "required_approvals": 1}])
}

/// Creates and activates the workflow `body` describes, as `admin`.
async fn active_workflow_from(env: &TestEnv, admin: &Account, body: Value) -> String {
    let create = Call::new("workflows/create").by(admin);
    let id = env.create(create.body(body)).await;
    env.activate_workflow(admin, &id).await;
    id
}

async fn file(env: &TestEnv, who: &Account, workflow: &str) -> Value {
    let reply = env
        .call(Call::new("approvals/create").by(who).body(json!({
            "workflow_id": workflow,
            "title": "Two laptops",
            "payload": {"vendor": "Example Computers", "items": [1, 2]},
            "amount": 2480.5,
        })))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

fn decide(id: &str, who: &Account, status: &str) -> Call {
    Call::new("approvals/patch")
        .resource_id("approvals", id)
        .by(who)
        .body(json!({"status": status, "comment": format!("{status} by {}", who.id)}))
}

fn get(id: &str, who: &Account) -> Call {
    Call::new("approvals/get")
        .resource_id("approvals", id)
        .by(who)
}

fn list(who: &Account, query: &[(&str, &str)]) -> Call {
    Call::new("approvals/list").by(who).query(query)
}

fn ids(page: &Value) -> Vec<String> {
    page_column(page, "id")
}

/// The events about one approval, in commit order.
async fn approval_events(env: &TestEnv, id: &str) -> Vec<Value> {
    let mut events: Vec<Value> = env
        .events()
        .await
        .into_iter()
        .filter(|e| e["entity_id"] == id)
        .collect();
    events.sort_by_key(|e| e["id"].as_str().expect("an event id").to_owned());
    events
}

#[tokio::test]
async fn a_two_step_request_is_decided_in_order_and_every_transition_is_an_event() {
    let (env, admin, requester) = office().await;
    let first = env.account("first", Role::Approver).await;
    let second = env.account("second", Role::Approver).await;
    let boss = env.account("boss", Role::User).await;
    let workflow = active_workflow(
        &env,
        &admin,
        json!([
            {"name": "Team leads", "approver_role": "approver", "required_approvals": 2},
            {"name": "Budget owner", "approver_ids": [boss.id], "required_approvals": 1},
        ]),
    )
    .await;

    let filed = file(&env, &requester, &workflow).await;
    let id = filed["id"].as_str().unwrap().to_owned();
    assert_eq!(filed["status"], "PENDING");
    assert_eq!(filed["current_step"], 0);
    assert_eq!(filed["requester_id"], requester.id.as_str());
    assert_eq!(filed["amount"], 2480.5);
    assert_eq!(filed["steps"][1]["approver_ids"], json!([boss.id]));

    // The requester cannot decide, the boss not yet (not their step).
    let own = env.call(decide(&id, &requester, "APPROVED")).await;
    assert_eq!(own.status, 403, "{}", own.body);
    let early = env.call(decide(&id, &boss, "APPROVED")).await;
    assert_eq!(early.status, 403, "{}", early.body);

    let one = env.call(decide(&id, &first, "APPROVED")).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["current_step"], 0);
    assert_eq!(one.body["step_approvals"], json!([first.id]));
    let again = env.call(decide(&id, &first, "APPROVED")).await;
    assert_eq!(again.status, 409, "{}", again.body);

    let two = env.call(decide(&id, &second, "APPROVED")).await;
    assert_eq!(two.status, 200, "{}", two.body);
    assert_eq!(two.body["current_step"], 1);
    assert_eq!(two.body["step_approvals"], json!([]));
    let late = env.call(decide(&id, &first, "APPROVED")).await;
    assert_eq!(late.status, 403, "{}", late.body);

    let three = env.call(decide(&id, &boss, "APPROVED")).await;
    assert_eq!(three.status, 200, "{}", three.body);
    assert_eq!(three.body["status"], "APPROVED");
    assert!(three.body.get("current_step").is_none());
    assert!(three.body["decided_at"].is_string());
    assert_eq!(three.header("etag"), Some("\"4\""));

    let read = env.call(get(&id, &requester)).await;
    assert_eq!(read.status, 200);
    let history: Vec<(Value, Value, Value)> = read.body["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["step"].clone(),
                d["approver_id"].clone(),
                d["decision"].clone(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            (json!(0), json!(first.id), json!("APPROVED")),
            (json!(0), json!(second.id), json!("APPROVED")),
            (json!(1), json!(boss.id), json!("APPROVED")),
        ]
    );
    assert_eq!(
        read.body["decisions"][2]["comment"],
        format!("APPROVED by {}", boss.id)
    );

    // One event per transition, in order, with its actor and changes.
    let events = approval_events(&env, &id).await;
    let summary: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["actor"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("approval.created", requester.id.as_str()),
            ("approval.decision_recorded", first.id.as_str()),
            ("approval.step_completed", second.id.as_str()),
            ("approval.approved", boss.id.as_str()),
        ]
    );
    assert_eq!(events[2]["changes"]["current_step"], json!([0, 1]));
    assert_eq!(
        events[3]["changes"]["status"],
        json!(["PENDING", "APPROVED"])
    );
    assert_eq!(events[3]["changes"]["decision"][1]["decision"], "APPROVED");
    assert_eq!(events[3]["data"]["status"], "APPROVED");

    // A final request takes no more decisions.
    let after = env.call(decide(&id, &second, "REJECTED")).await;
    assert_eq!(after.status, 409, "{}", after.body);
}

/// A workflow of two steps that both name the `approver` role, with
/// `allow_same_approver_across_steps` as given.
fn two_reviews(allow_same_approver_across_steps: bool) -> Value {
    json!({
        "name": "Two reviews",
        "allow_same_approver_across_steps": allow_same_approver_across_steps,
        "steps": [
            {"name": "First look", "approver_role": "approver", "required_approvals": 1},
            {"name": "Second look", "approver_role": "approver", "required_approvals": 1},
        ],
    })
}

#[tokio::test]
async fn an_approver_of_one_step_cannot_decide_a_later_step_of_the_same_request() {
    let (env, admin, requester) = office().await;
    let a = env.account("a", Role::Approver).await;
    let b = env.account("b", Role::Approver).await;
    let workflow = active_workflow_from(&env, &admin, two_reviews(false)).await;
    let filed = file(&env, &requester, &workflow).await;
    let id = filed["id"].as_str().unwrap().to_owned();
    assert_eq!(filed["allow_same_approver_across_steps"], false);
    let assigned = |who: &Account| list(who, &[("assigned", "me")]);

    let first = env.call(decide(&id, &a, "APPROVED")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["current_step"], 1);

    // The second step waits on every approver but A.
    assert!(ids(&env.call(assigned(&a)).await.body).is_empty());
    assert_eq!(ids(&env.call(assigned(&b)).await.body), [id.as_str()]);
    for verdict in ["APPROVED", "REJECTED"] {
        let refused = env.call(decide(&id, &a, verdict)).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(
            refused.header("content-type"),
            Some("application/problem+json")
        );
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains("earlier step"), "{detail}");
    }
    let read = env.call(get(&id, &a)).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(
        (read.body["status"].clone(), read.body["version"].clone()),
        (json!("PENDING"), json!(2))
    );

    let second = env.call(decide(&id, &b, "APPROVED")).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["status"], "APPROVED");
    let deciders: Vec<(Value, Value)> = second.body["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["step"].clone(), d["approver_id"].clone()))
        .collect();
    assert_eq!(deciders, [(json!(0), json!(a.id)), (json!(1), json!(b.id))]);
}

#[tokio::test]
async fn a_workflow_that_allows_the_same_approver_across_steps_lets_one_approver_decide_both() {
    let (env, admin, requester) = office().await;
    let a = env.account("a", Role::Approver).await;
    let workflow = active_workflow_from(&env, &admin, two_reviews(true)).await;
    let filed = file(&env, &requester, &workflow).await;
    let id = filed["id"].as_str().unwrap().to_owned();
    assert_eq!(filed["allow_same_approver_across_steps"], true);

    let first = env.call(decide(&id, &a, "APPROVED")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["current_step"], 1);
    let waiting = env.call(list(&a, &[("assigned", "me")])).await;
    assert_eq!(ids(&waiting.body), [id.as_str()]);
    let second = env.call(decide(&id, &a, "APPROVED")).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["status"], "APPROVED");

    // The requester still never decides, opt-out or not.
    let own = file(&env, &a, &workflow).await;
    let refused = env
        .call(decide(own["id"].as_str().unwrap(), &a, "APPROVED"))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}

#[tokio::test]
async fn one_rejection_ends_a_request_and_requesters_may_cancel_while_pending() {
    let (env, admin, requester) = office().await;
    let approver = env.account("approver", Role::Approver).await;
    let workflow = active_workflow(
        &env,
        &admin,
        json!([{"approver_role": "approver", "required_approvals": 3}]),
    )
    .await;

    let rejected = file(&env, &requester, &workflow).await;
    let id = rejected["id"].as_str().unwrap();
    let reply = env.call(decide(id, &approver, "REJECTED")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "REJECTED");
    let cancel = env.call(decide(id, &requester, "CANCELLED")).await;
    assert_eq!(cancel.status, 409, "{}", cancel.body);

    let withdrawn = file(&env, &requester, &workflow).await;
    let id = withdrawn["id"].as_str().unwrap();
    let by_approver = env.call(decide(id, &approver, "CANCELLED")).await;
    assert_eq!(by_approver.status, 403, "{}", by_approver.body);
    let cancelled = env.call(decide(id, &requester, "CANCELLED")).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "CANCELLED");
    let late = env.call(decide(id, &approver, "APPROVED")).await;
    assert_eq!(late.status, 409, "{}", late.body);
    let types: Vec<Value> = approval_events(&env, id)
        .await
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(
        types,
        [json!("approval.created"), json!("approval.cancelled")]
    );
}

#[tokio::test]
async fn a_workflow_with_pending_approvals_cannot_be_deleted_or_filed_against_once_archived() {
    let (env, admin, requester) = office().await;
    let workflow = active_workflow(&env, &admin, one_review()).await;
    let filed = file(&env, &requester, &workflow).await;
    let delete = || {
        Call::new("workflows/delete")
            .resource_id("workflows", &workflow)
            .by(&admin)
    };
    let refused = env.call(delete()).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains("pending approvals"));

    env.set_workflow_status(&admin, &workflow, "ARCHIVED").await;
    let refused = env.call(filing(&requester, &workflow, "Late")).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.body["errors"][0]["field"], "workflow_id");

    // The request in flight still runs on the steps it was filed with.
    let cancelled = env
        .call(decide(
            filed["id"].as_str().unwrap(),
            &requester,
            "CANCELLED",
        ))
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let deleted = env.call(delete()).await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
}

#[tokio::test]
async fn assigned_me_lists_exactly_what_waits_on_the_caller() {
    let (env, admin, requester) = office().await;
    let first = env.account("first", Role::Approver).await;
    let second = env.account("second", Role::Approver).await;
    let named = env.account("named", Role::User).await;
    let by_role = active_workflow(
        &env,
        &admin,
        json!([
            {"approver_role": "approver", "required_approvals": 2},
            {"approver_ids": [named.id], "required_approvals": 1},
        ]),
    )
    .await;
    let mine = file(&env, &requester, &by_role).await;
    let mine = mine["id"].as_str().unwrap().to_owned();
    // An approver's own request never waits on them.
    let own = file(&env, &first, &by_role).await;
    let own = own["id"].as_str().unwrap().to_owned();

    let assigned = |who: &Account| list(who, &[("assigned", "me")]);
    let page = env.call(assigned(&first)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(ids(&page.body), [mine.as_str()]);
    let page = env.call(assigned(&second)).await;
    assert_eq!(ids(&page.body), [own.clone(), mine.clone()]);
    assert!(ids(&env.call(assigned(&named)).await.body).is_empty());

    // Once first approved, it no longer waits on first, still on second.
    let reply = env.call(decide(&mine, &first, "APPROVED")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(ids(&env.call(assigned(&first)).await.body).is_empty());
    assert_eq!(
        ids(&env.call(assigned(&second)).await.body),
        [own.clone(), mine.clone()]
    );
    // Step one done: it moves to the named user.
    let reply = env.call(decide(&mine, &second, "APPROVED")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(ids(&env.call(assigned(&second)).await.body), [own.as_str()]);
    assert_eq!(ids(&env.call(assigned(&named)).await.body), [mine.as_str()]);
    let reply = env.call(decide(&mine, &named, "APPROVED")).await;
    assert_eq!(reply.body["status"], "APPROVED");
    assert!(ids(&env.call(assigned(&named)).await.body).is_empty());

    // The requester's own listing, with a status filter.
    let approved = env.call(list(&requester, &[("status", "APPROVED")])).await;
    assert_eq!(ids(&approved.body), [mine.as_str()]);
    let pending = env.call(list(&requester, &[("status", "PENDING")])).await;
    assert!(ids(&pending.body).is_empty());
    // An admin filters by workflow and by requester.
    let of_workflow = env.call(list(&admin, &[("workflow_id", &by_role)])).await;
    assert_eq!(ids(&of_workflow.body), [own.clone(), mine.clone()]);
    let of_requester = env
        .call(list(
            &admin,
            &[("requester_id", &first.id), ("status", "PENDING")],
        ))
        .await;
    assert_eq!(ids(&of_requester.body), [own]);
}

#[tokio::test]
async fn users_cannot_see_or_decide_requests_that_are_not_theirs() {
    let (env, admin, requester) = office().await;
    let other = env.account("other", Role::User).await;
    let approver = env.account("approver", Role::Approver).await;
    let admins_only = active_workflow(
        &env,
        &admin,
        json!([{"approver_role": "admin", "required_approvals": 1}]),
    )
    .await;
    let filed = file(&env, &requester, &admins_only).await;
    let id = filed["id"].as_str().unwrap();

    for who in [&other, &approver] {
        let read = env.call(get(id, who)).await;
        assert_eq!(read.status, 404, "{}", read.body);
        let decided = env.call(decide(id, who, "APPROVED")).await;
        assert_eq!(decided.status, 404, "{}", decided.body);
        let cancelled = env.call(decide(id, who, "CANCELLED")).await;
        assert_eq!(cancelled.status, 404, "{}", cancelled.body);
        assert!(ids(&env.call(list(who, &[])).await.body).is_empty());
    }
    let others = env
        .call(list(&other, &[("requester_id", &requester.id)]))
        .await;
    assert_eq!(others.status, 403, "{}", others.body);
    let anonymous = env.call(get(id, &other).token(None)).await;
    assert_eq!(anonymous.status, 401);

    // The requester and admins see it; an admin decides it.
    assert_eq!(env.call(get(id, &requester)).await.status, 200);
    assert_eq!(ids(&env.call(list(&requester, &[])).await.body), [id]);
    assert_eq!(ids(&env.call(list(&admin, &[])).await.body), [id]);
    let decided = env.call(decide(id, &admin, "APPROVED")).await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    assert_eq!(decided.body["status"], "APPROVED");
    let events = approval_events(&env, id).await;
    assert_eq!(events.len(), 2);
}

#[tokio::test]
async fn twenty_approvers_racing_for_the_last_slot_make_exactly_one_decision() {
    let (env, admin, requester) = office().await;
    let names: Vec<String> = (0..22).map(|i| format!("approver{i}")).collect();
    let approvers =
        futures::future::join_all(names.iter().map(|name| env.account(name, Role::Approver))).await;
    let workflow = active_workflow(
        &env,
        &admin,
        json!([{"approver_role": "approver", "required_approvals": 3}]),
    )
    .await;
    let filed = file(&env, &requester, &workflow).await;
    let id = filed["id"].as_str().unwrap();
    for early in &approvers[..2] {
        assert_eq!(env.call(decide(id, early, "APPROVED")).await.status, 200);
    }

    let racers = &approvers[2..];
    let replies = futures::future::join_all(
        racers
            .iter()
            .map(|who| env.call(decide(id, who, "APPROVED"))),
    )
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    let winner = replies.iter().find(|r| r.status == 200).unwrap();
    assert_eq!(winner.body["status"], "APPROVED");

    let read = env.call(get(id, &requester)).await;
    assert_eq!(read.body["status"], "APPROVED");
    assert_eq!(read.body["decisions"].as_array().unwrap().len(), 3);
    assert_eq!(read.body["version"], 4);
    let approved = approval_events(&env, id)
        .await
        .iter()
        .filter(|e| e["type"] == "approval.approved")
        .count();
    assert_eq!(approved, 1);
}

#[tokio::test]
async fn fifty_concurrent_patches_never_leave_an_impossible_state() {
    let (env, admin, requester) = office().await;
    let names: Vec<String> = (0..12).map(|i| format!("approver{i}")).collect();
    let approvers =
        futures::future::join_all(names.iter().map(|name| env.account(name, Role::Approver))).await;
    let workflow = active_workflow(
        &env,
        &admin,
        json!([
            {"approver_role": "approver", "required_approvals": 3},
            {"approver_role": "approver", "required_approvals": 3},
            {"approver_role": "admin", "required_approvals": 1},
        ]),
    )
    .await;
    let filed = file(&env, &requester, &workflow).await;
    let id = filed["id"].as_str().unwrap();

    // Every approver approves four times, and the requester and admin
    // pile in: fifty requests at once.
    let mut calls: Vec<Call> = Vec::new();
    for round in 0..4 {
        for who in &approvers {
            calls.push(decide(id, who, "APPROVED"));
        }
        calls.push(decide(
            id,
            &admin,
            if round == 3 { "REJECTED" } else { "APPROVED" },
        ));
    }
    calls.push(decide(id, &requester, "CANCELLED"));
    calls.push(decide(id, &requester, "APPROVED"));
    assert_eq!(calls.len(), 54);
    let replies = futures::future::join_all(calls.into_iter().map(|c| env.call(c))).await;
    for reply in &replies {
        assert!(
            [200, 403, 409].contains(&reply.status),
            "{} {}",
            reply.status,
            reply.body
        );
    }
    let successes = replies.iter().filter(|r| r.status == 200).count();

    let read = env.call(get(id, &admin)).await;
    let body = &read.body;
    let decisions = body["decisions"].as_array().unwrap();
    // Each success is one version, one event, and (except a cancel) one
    // decision; nobody decided a step twice, nor two steps.
    assert_eq!(body["version"], 1 + successes as u64);
    let events = approval_events(&env, id).await;
    assert_eq!(events.len(), 1 + successes);
    let cancelled = body["status"] == "CANCELLED";
    assert_eq!(decisions.len() + usize::from(cancelled), successes);
    let pairs: HashSet<(String, String)> = decisions
        .iter()
        .map(|d| (d["step"].to_string(), d["approver_id"].to_string()))
        .collect();
    assert_eq!(pairs.len(), decisions.len());
    let deciders: HashSet<String> = decisions
        .iter()
        .map(|d| d["approver_id"].to_string())
        .collect();
    assert_eq!(deciders.len(), decisions.len());
    // No step took more approvals than its quorum, and only a finished step
    // let the next one start.
    let approvals_at = |step: u64| {
        decisions
            .iter()
            .filter(|d| d["step"] == step && d["decision"] == "APPROVED")
            .count()
    };
    assert!(approvals_at(0) <= 3 && approvals_at(1) <= 3 && approvals_at(2) <= 1);
    if approvals_at(1) > 0 {
        assert_eq!(approvals_at(0), 3);
    }
    match body["status"].as_str().unwrap() {
        "APPROVED" => assert_eq!(
            (approvals_at(0), approvals_at(1), approvals_at(2)),
            (3, 3, 1)
        ),
        "REJECTED" => assert_eq!(
            decisions
                .iter()
                .filter(|d| d["decision"] == "REJECTED")
                .count(),
            1
        ),
        "CANCELLED" => {}
        "PENDING" => {
            let step = body["current_step"].as_u64().unwrap();
            assert_eq!(
                body["step_approvals"].as_array().unwrap().len(),
                approvals_at(step)
            );
        }
        other => panic!("impossible status {other}"),
    }
    // The requester never approved their own request.
    assert!(decisions
        .iter()
        .all(|d| d["approver_id"] != requester.id.as_str()));
    // It waits exactly on the approvers of its open step who have not
    // approved any step of it yet.
    let waiting_on_approvers =
        body["status"] == "PENDING" && body["current_step"].as_u64().is_some_and(|step| step < 2);
    for who in &approvers {
        let listed = ids(&env.call(list(who, &[("assigned", "me")])).await.body);
        let approved_a_step = decisions
            .iter()
            .any(|d| d["approver_id"] == who.id.as_str());
        assert_eq!(
            listed == [id],
            waiting_on_approvers && !approved_a_step,
            "{who:?}: {body}"
        );
    }
}

#[tokio::test]
async fn a_stale_version_changes_nothing() {
    let (env, admin, requester) = office().await;
    let approver = env.account("approver", Role::Approver).await;
    let workflow = active_workflow(
        &env,
        &admin,
        json!([{"approver_role": "approver", "required_approvals": 2}]),
    )
    .await;
    let filed = file(&env, &requester, &workflow).await;
    let id = filed["id"].as_str().unwrap();
    let before = env.all_items().await.len();

    let by_header = env
        .call(decide(id, &approver, "APPROVED").header("if-match", "\"7\""))
        .await;
    assert_eq!(by_header.status, 412, "{}", by_header.body);
    let by_body = env
        .call(
            Call::new("approvals/patch")
                .resource_id("approvals", id)
                .by(&approver)
                .body(json!({"status": "APPROVED", "version": 3})),
        )
        .await;
    assert_eq!(by_body.status, 409, "{}", by_body.body);
    assert_eq!(env.all_items().await.len(), before);
    let read = env.call(get(id, &requester)).await;
    assert_eq!(read.body["version"], 1);
    assert_eq!(read.body["decisions"], json!([]));
    assert_eq!(approval_events(&env, id).await.len(), 1);

    let current = env
        .call(decide(id, &approver, "APPROVED").header("if-match", "\"1\""))
        .await;
    assert_eq!(current.status, 200, "{}", current.body);
}

#[tokio::test]
async fn bad_input_on_every_route_names_the_field_and_writes_nothing() {
    let (env, admin, requester) = office().await;
    let approver = env.account("approver", Role::Approver).await;
    let workflow = active_workflow(&env, &admin, one_review()).await;
    let draft = env
        .call(
            Call::new("workflows/create")
                .by(&admin)
                .body(json!({"name": "Draft"})),
        )
        .await;
    let draft = draft.body["id"].as_str().unwrap().to_owned();
    let filed = file(&env, &requester, &workflow).await;
    let id = filed["id"].as_str().unwrap().to_owned();
    let before = env.all_items().await.len();

    let create = |body: &str| Call::new("approvals/create").by(&requester).raw_body(body);
    let deep = (0..20).fold(json!(1), |inner, _| json!({ "d": inner }));
    let cases: Vec<(Call, u16, &str)> = vec![
        (create("{\"title\": "), 400, "body"),
        (create(&json!({"workflow_id": workflow, "title": "x", "extra": 1}).to_string()), 400, "extra"),
        (create(&json!({"workflow_id": workflow, "title": 5}).to_string()), 400, "title"),
        (create(&json!({"workflow_id": workflow, "title": " "}).to_string()), 422, "title"),
        (create(&json!({"workflow_id": workflow, "title": "x".repeat(201)}).to_string()), 422, "title"),
        (create(&json!({"workflow_id": "nope", "title": "x"}).to_string()), 422, "workflow_id"),
        (create(&json!({"workflow_id": draft, "title": "x"}).to_string()), 422, "workflow_id"),
        (create(&json!({"workflow_id": workflow, "title": "x", "payload": [1]}).to_string()), 422, "payload"),
        (create(&json!({"workflow_id": workflow, "title": "x", "payload": deep}).to_string()), 422, "payload"),
        (create(&json!({"workflow_id": workflow, "title": "x", "payload": {"big": "y".repeat(17 * 1024)}}).to_string()), 422, "payload"),
        (create(&json!({"workflow_id": workflow, "title": "x", "amount": -1}).to_string()), 422, "amount"),
        (create(&json!({"workflow_id": workflow, "title": "x", "amount": 0.001}).to_string()), 422, "amount"),
        (create(&json!({"workflow_id": workflow, "title": "x", "description": "d".repeat(2001)}).to_string()), 422, "description"),
        (
            Call::new("approvals/patch")
                .resource_id("approvals", &id)
                .by(&approver)
                .body(json!({"status": "PENDING"})),
            422,
            "status",
        ),
        (
            Call::new("approvals/patch")
                .resource_id("approvals", &id)
                .by(&approver)
                .body(json!({"status": "APPROVED", "comment": "c".repeat(1001)})),
            422,
            "comment",
        ),
        (
            Call::new("approvals/patch")
                .resource_id("approvals", &id)
                .by(&approver)
                .body(json!({"status": "APPROVED", "approver": "me"})),
            400,
            "approver",
        ),
        (list(&approver, &[("status", "DONE")]), 422, "status"),
        (list(&approver, &[("assigned", "you")]), 422, "assigned"),
        (list(&admin, &[("workflow_id", "x")]), 422, "workflow_id"),
        (list(&approver, &[("limit", "0")]), 422, "limit"),
        (list(&approver, &[("sort", "asc")]), 400, "sort"),
        (list(&approver, &[("cursor", "forged.cursor")]), 400, "cursor"),
    ];
    for (call, status, field) in cases {
        let reply = env.call(call).await;
        assert_eq!(reply.status, status, "{field}: {}", reply.body);
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json"),
            "{field}"
        );
        assert!(
            reply.error_fields().contains(&field),
            "{field}: {}",
            reply.body
        );
    }
    assert_eq!(env.all_items().await.len(), before);
    let read = env.call(get(&id, &approver)).await;
    assert_eq!(read.body["version"], 1);
}

#[tokio::test]
async fn listings_page_through_every_approval_exactly_once() {
    let (env, admin, requester) = office().await;
    let approver = env.account("approver", Role::Approver).await;
    let workflow = active_workflow(&env, &admin, one_review()).await;
    let mut filed = Vec::new();
    for _ in 0..7 {
        filed.push(
            file(&env, &requester, &workflow).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Every other one is approved, so filtered pages skip items.
    for id in filed.iter().step_by(2) {
        assert_eq!(
            env.call(decide(id, &approver, "APPROVED")).await.status,
            200
        );
    }
    filed.reverse();

    for (who, query, expected) in [
        (&admin, vec![], filed.clone()),
        (&requester, vec![], filed.clone()),
        (
            &approver,
            vec![("assigned", "me")],
            filed.iter().skip(1).step_by(2).cloned().collect(),
        ),
        (
            &requester,
            vec![("status", "APPROVED")],
            filed.iter().step_by(2).cloned().collect(),
        ),
        (
            &admin,
            vec![("workflow_id", workflow.as_str()), ("status", "PENDING")],
            filed.iter().skip(1).step_by(2).cloned().collect::<Vec<_>>(),
        ),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q = query.clone();
            q.push(("limit", "2"));
            if let Some(c) = &cursor {
                q.push(("cursor", c));
            }
            let page = env.call(list(who, &q)).await;
            assert_eq!(page.status, 200, "{query:?}: {}", page.body);
            seen.extend(ids(&page.body));
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{query:?}");
    }

    // A cursor belongs to its query.
    let page = env.call(list(&admin, &[("limit", "2")])).await;
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let reused = env
        .call(list(&admin, &[("status", "PENDING"), ("cursor", cursor)]))
        .await;
    assert_eq!(reused.status, 400, "{}", reused.body);
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_files_one_request() {
    let (env, admin, requester) = office().await;
    let workflow = active_workflow(&env, &admin, one_review()).await;
    let call = || {
        Call::new("approvals/create")
            .by(&requester)
            .header("idempotency-key", "order-42")
            .body(json!({"workflow_id": workflow, "title": "Chairs"}))
    };
    let first = env.call(call()).await;
    let second = env.call(call()).await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.body["id"], second.body["id"]);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(ids(&env.call(list(&requester, &[])).await.body).len(), 1);
}
