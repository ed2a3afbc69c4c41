//! `/api/v1/aiInsights` on DynamoDB Local: who sees which
//! insight (the visibility of what it is about), the high-risk and
//! per-workflow listings, reviews and their illegal moves, deletion, and
//! bad input on every field naming it.

use crate::helpers::{Account, Call, TestEnv};
use crate::{analyze, at, file, lane_events, listed, raise};
use opsflow_platform::domain::Role;
use serde_json::{json, Value};

/// An active workflow whose one step the `approver` role decides, and
/// the insight raised on `owner`'s first request on it (MEDIUM: a first
/// request); (workflow, approval, insight).
pub(crate) async fn first_request(
    env: &TestEnv,
    admin: &Account,
    owner: &Account,
) -> (String, String, Value) {
    let workflow = env.active_workflow(admin, "Purchases").await;
    let approval = file(env, owner, &workflow, 250.0, json!({})).await;
    analyze(env, &lane_events(env).await).await;
    let raised = env.events_of_type("insight.created").await;
    let insight = raised
        .iter()
        .find(|e| e["data"]["entity_id"] == approval.as_str())
        .map(|e| e["data"].clone())
        .expect("an insight on the first request");
    (workflow, approval, insight)
}

pub(crate) fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_caller_sees_the_insights_about_what_they_may_see() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let owner = env.account("owner", Role::User).await;
    let stranger = env.account("stranger", Role::User).await;
    let approver = env.account("approver", Role::Approver).await;
    let auditor = env.account("auditor", Role::Auditor).await;
    let (workflow, _, insight) = first_request(&env, &admin, &owner).await;
    let about_request = id(&insight);
    let manual = id(&raise(&env, &admin, json!({"workflow_id": workflow})).await);

    let all = || Call::new("insights/list").query(&[]);
    assert_eq!(
        listed(&env, &admin, all()).await,
        [manual.as_str(), about_request.as_str()]
    );
    assert_eq!(
        listed(&env, &auditor, all()).await,
        [manual.as_str(), about_request.as_str()]
    );
    assert_eq!(listed(&env, &owner, all()).await, [about_request.as_str()]);
    assert_eq!(
        listed(&env, &approver, all()).await,
        [about_request.as_str()]
    );
    assert!(listed(&env, &stranger, all()).await.is_empty());
    let of_workflow = || Call::new("insights/workflow").path_params(&[("workflow_id", &workflow)]);
    assert_eq!(
        listed(&env, &admin, of_workflow()).await,
        [manual.as_str(), about_request.as_str()]
    );
    assert_eq!(
        listed(&env, &owner, of_workflow()).await,
        [about_request.as_str()]
    );
    for (who, status) in [(&stranger, 404), (&owner, 404), (&auditor, 200)] {
        let reply = env.call(at("insights/get", &manual).by(who)).await;
        assert_eq!(reply.status, status, "{}", reply.body);
    }
    // The view: every factor, each with its explanation, summing to the score.
    let reply = env
        .call(at("insights/get", &about_request).by(&owner))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["risk_level"], "MEDIUM");
    assert_eq!(reply.body["status"], "open");
    assert_eq!(reply.body["source"], "approval_risk");
    assert_eq!(reply.header("etag"), Some("\"1\""));
    let factors = reply.body["factors"].as_array().unwrap();
    assert_eq!(factors.len(), 7);
    assert!(factors.iter().all(|f| f["explanation"].is_string()));
}

#[tokio::test]
async fn high_risk_keeps_the_scores_at_or_above_its_threshold_and_filters_combine() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let critical = id(&raise(
        &env,
        &admin,
        json!({"risk_score": 0.9, "entity": "queue", "entity_id": "jobs"}),
    )
    .await);
    let high = id(&raise(&env, &admin, json!({"risk_score": 0.7})).await);
    let medium = id(&raise(&env, &admin, json!({"risk_score": 0.3})).await);
    let high_risk = |query: &[(&str, &str)]| Call::new("insights/high-risk").query(query);
    assert_eq!(
        listed(&env, &admin, high_risk(&[])).await,
        [high.as_str(), critical.as_str()]
    );
    assert_eq!(
        listed(&env, &admin, high_risk(&[("threshold", "0.2")])).await,
        [medium.as_str(), high.as_str(), critical.as_str()]
    );
    assert_eq!(
        listed(&env, &admin, high_risk(&[("threshold", "0.8")])).await,
        [critical.as_str()]
    );
    let list = |query: &[(&str, &str)]| Call::new("insights/list").query(query);
    assert_eq!(
        listed(&env, &admin, list(&[("risk_level", "critical")])).await,
        [critical.as_str()]
    );
    assert_eq!(
        listed(&env, &admin, list(&[("entity", "queue")])).await,
        [critical.as_str()]
    );
    // Paged, newest first.
    let first = env.call(list(&[("limit", "2")]).by(&admin)).await;
    assert_eq!(
        crate::helpers::page_column(&first.body, "id"),
        [medium.as_str(), high.as_str()]
    );
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = listed(&env, &admin, list(&[("limit", "2"), ("cursor", &cursor)])).await;
    assert_eq!(rest, [critical.as_str()]);
}

#[tokio::test]
async fn reviews_move_an_insight_once_and_deletion_removes_it() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let insight = id(&raise(&env, &admin, json!({})).await);
    let patch = |body: Value| at("insights/patch", &insight).by(&admin).body(body);

    let stale = env
        .call(patch(json!({"status": "acknowledged"})).header("if-match", "\"7\""))
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let reply = env
        .call(patch(
            json!({"status": "ACKNOWLEDGED", "note": "Looking into it"}),
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "acknowledged");
    assert_eq!(reply.body["note"], "Looking into it");
    assert_eq!(reply.body["version"], 2);
    let reply = env
        .call(patch(
            json!({"status": "resolved", "note": "Refunded", "version": 2}),
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body["resolved_at"].is_string());
    let again = env.call(patch(json!({"status": "acknowledged"}))).await;
    assert_eq!(again.status, 409, "{}", again.body);
    let types: Vec<String> = env
        .events()
        .await
        .iter()
        .filter(|e| e["entity_id"] == insight.as_str())
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    for expected in [
        "insight.created",
        "insight.acknowledged",
        "insight.resolved",
    ] {
        assert!(types.iter().any(|t| t == expected), "{types:?}");
    }

    let deleted = env.call(at("insights/delete", &insight).by(&admin)).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let gone = env.call(at("insights/get", &insight).by(&admin)).await;
    assert_eq!(gone.status, 404);
    assert_eq!(env.events_of_type("insight.deleted").await.len(), 1);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let insight = id(&raise(&env, &admin, json!({})).await);
    for (query, field) in [
        (("risk_level", "SEVERE"), "risk_level"),
        (("status", "closed"), "status"),
        (("workflow_id", "nope"), "workflow_id"),
        (("entity", "Bad-Kind"), "entity"),
    ] {
        let reply = env
            .call(Call::new("insights/list").by(&admin).query(&[query]))
            .await;
        reply.assert_problem(422, field);
    }
    let reply = env
        .call(
            Call::new("insights/list")
                .by(&admin)
                .query(&[("severity", "x")]),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(
        reply.body.to_string().contains("risk_level"),
        "{}",
        reply.body
    );
    for threshold in ["2", "-0.1", "high"] {
        let reply = env
            .call(
                Call::new("insights/high-risk")
                    .by(&admin)
                    .query(&[("threshold", threshold)]),
            )
            .await;
        reply.assert_problem(422, "threshold");
    }
    let reply = env
        .call(
            Call::new("insights/workflow")
                .by(&admin)
                .path_params(&[("workflow_id", "nope")]),
        )
        .await;
    reply.assert_problem(422, "workflow_id");

    let create = |body: Value| Call::new("insights/create").by(&admin).body(body);
    for (body, field) in [
        (json!({"title": " ", "risk_score": 0.5}), "title"),
        (
            json!({"title": "t".repeat(201), "risk_score": 0.5}),
            "title",
        ),
        (json!({"title": "x", "risk_score": 1.5}), "risk_score"),
        (
            json!({"title": "x", "risk_score": 0.5, "risk_level": "LOW"}),
            "risk_level",
        ),
        (
            json!({"title": "x", "risk_score": 0.5, "risk_level": "SEVERE"}),
            "risk_level",
        ),
        (
            json!({"title": "x", "risk_score": 0.5, "workflow_id": "nope"}),
            "workflow_id",
        ),
        (
            json!({"title": "x", "risk_score": 0.5, "entity": "approval"}),
            "entity_id",
        ),
        (
            json!({"title": "x", "risk_score": 0.5, "entity": "Bad", "entity_id": "1"}),
            "entity",
        ),
        (
            json!({"title": "x", "risk_score": 0.5, "description": "d".repeat(2001)}),
            "description",
        ),
        (
            json!({"title": "x", "risk_score": 0.5, "recommendation": "r".repeat(1001)}),
            "recommendation",
        ),
    ] {
        env.call(create(body)).await.assert_problem(422, field);
    }
    let unknown = env
        .call(create(
            json!({"title": "x", "risk_score": 0.5, "severity": 3}),
        ))
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    let wrong_type = env
        .call(create(json!({"title": "x", "risk_score": "high"})))
        .await;
    assert_eq!(wrong_type.status, 400, "{}", wrong_type.body);

    let patch = |body: Value| at("insights/patch", &insight).by(&admin).body(body);
    env.call(patch(json!({"status": "open"})))
        .await
        .assert_problem(422, "status");
    env.call(patch(json!({"status": "done"})))
        .await
        .assert_problem(422, "status");
    env.call(patch(
        json!({"status": "resolved", "note": "n".repeat(1001)}),
    ))
    .await
    .assert_problem(422, "note");
    let missing = env
        .call(at("insights/get", "01890a5d-ac96-774b-bcce-b302099a8057").by(&admin))
        .await;
    assert_eq!(missing.status, 404);
    let malformed = env.call(at("insights/get", "not-an-id").by(&admin)).await;
    assert_eq!(malformed.status, 404);
}

#[tokio::test]
async fn an_approver_never_settles_the_insight_on_their_own_request() {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let filer = env.account("filer", Role::Approver).await;
    let colleague = env.account("colleague", Role::Approver).await;
    let (_, _, insight) = first_request(&env, &admin, &filer).await;
    let insight = id(&insight);
    let resolve = |who: &Account| {
        at("insights/patch", &insight)
            .by(who)
            .body(json!({"status": "resolved", "note": "Fine"}))
    };
    // The filer sees it (their own request) but may not settle it.
    let seen = env.call(at("insights/get", &insight).by(&filer)).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    let refused = env.call(resolve(&filer)).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    // Another approver of the request may.
    let settled = env.call(resolve(&colleague)).await;
    assert_eq!(settled.status, 200, "{}", settled.body);
    assert_eq!(settled.body["status"], "resolved");
}
