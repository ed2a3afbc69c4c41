//! The insights' real answers are the ones their OpenAPI description
//! promises: for each route, a success and the errors a client meets,
//! checked for status, media type and body schema. The insight about a
//! request is raised as the analyzer raises it, from the request's events.

use crate::helpers::{page_column, Account, Call, Reply, TestEnv};
use crate::{analyze, file, lane_events};
use opsflow_insights::domain::insight::InsightStatus;
use opsflow_insights::domain::RiskLevel;
use opsflow_platform::domain::Role;
use opsflow_platform::testkit::contract::{assert_conforms, document, resolved_references};
use serde_json::{json, Value};

/// Asserts that `reply` to `route` is one the description promises, with
/// the status the test expects.
fn conforms(doc: &Value, route: &str, reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{route}: {}", reply.body);
    assert_conforms(doc, route, reply);
}

const NOWHERE: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

const LIST: &str = "GET /api/v1/aiInsights";
const CREATE: &str = "POST /api/v1/aiInsights";
const HIGH_RISK: &str = "GET /api/v1/aiInsights/high-risk";
const WORKFLOW: &str = "GET /api/v1/aiInsights/workflow/{workflow_id}";
const GET: &str = "GET /api/v1/aiInsights/{id}";
const PATCH: &str = "PATCH /api/v1/aiInsights/{id}";
const DELETE: &str = "DELETE /api/v1/aiInsights/{id}";

/// Everyone the routes answer differently: an admin, an approver (who
/// decides the workflow's requests), a requester, another user and an
/// auditor.
struct Office {
    env: TestEnv,
    admin: Account,
    approver: Account,
    requester: Account,
    stranger: Account,
    auditor: Account,
}

async fn office() -> Office {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let requester = env.account("requester", Role::User).await;
    let stranger = env.account("stranger", Role::User).await;
    let auditor = env.account("auditor", Role::Auditor).await;
    Office {
        env,
        admin,
        approver,
        requester,
        stranger,
        auditor,
    }
}

/// `fixture`'s call on insight `id`.
fn on(fixture: &str, id: &str) -> Call {
    Call::new(fixture).resource_id("api/v1/aiInsights", id)
}

/// The insight the analyzer raises on the requester's first request on a
/// new workflow (MEDIUM: a first request); (workflow, insight id).
async fn first_request(office: &Office) -> (String, String) {
    let env = &office.env;
    let workflow = env.active_workflow(&office.admin, "Purchases").await;
    let approval = file(env, &office.requester, &workflow, 250.0, json!({})).await;
    analyze(env, &lane_events(env).await).await;
    let raised = env.events_of_type("insight.created").await;
    let insight = raised
        .iter()
        .find(|e| e["data"]["entity_id"] == approval.as_str())
        .and_then(|e| e["data"]["id"].as_str())
        .expect("an insight on the first request")
        .to_owned();
    (workflow, insight)
}

/// Raises an insight about no entity as `admin` (seen by admins and
/// auditors only); its id.
async fn manual(env: &TestEnv, admin: &Account) -> String {
    let body = json!({"title": "Stock count off", "risk_score": 0.9});
    env.create(Call::new("insights/create").body(body).by(admin))
        .await
}

#[tokio::test]
async fn create_answers_match_the_description() {
    let doc = document(opsflow_insights::openapi::doc());
    let office = office().await;
    let (env, admin) = (&office.env, &office.admin);
    let post = |body: Value| Call::new("insights/create").body(body);
    let keyed = |key: &str, body: Value| post(body).header("idempotency-key", key);
    let plain = || json!({"title": "Vendor paid twice", "risk_score": 0.85});

    let created = env.call(keyed("insight-1", plain()).by(admin)).await;
    conforms(&doc, CREATE, &created, 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let location = format!("/api/v1/aiInsights/{id}");
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["status"], "open");
    assert_eq!(created.body["risk_level"], "CRITICAL");
    assert_eq!(created.body["factors"][0]["contribution"], 0.85);
    let replayed = env.call(keyed("insight-1", plain()).by(admin)).await;
    conforms(&doc, CREATE, &replayed, 201);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, created.body);
    let reused = keyed("insight-1", json!({"title": "Other", "risk_score": 0.1}));
    conforms(&doc, CREATE, &env.call(reused.by(admin)).await, 422);
    let bad_key = keyed("two words", plain());
    conforms(&doc, CREATE, &env.call(bad_key.by(admin)).await, 400);

    // The example of the description, every field given.
    let example = Call::new("insights/create");
    let full = env.call(example.by(admin)).await;
    conforms(&doc, CREATE, &full, 201);
    assert_eq!(full.body["entity"], "approval");
    for invalid in [
        json!({"title": " ", "risk_score": 0.5}),
        json!({"title": "t", "risk_score": 1.5}),
        json!({"title": "t", "risk_score": 0.9, "risk_level": "LOW"}),
        json!({"title": "t", "risk_score": 0.9, "risk_level": "SEVERE"}),
        json!({"title": "t", "risk_score": 0.3, "workflow_id": "nope"}),
        json!({"title": "t", "risk_score": 0.3, "entity": "approval"}),
        json!({"title": "t", "risk_score": 0.3, "entity": "Approval", "entity_id": "a"}),
        json!({"title": "t", "risk_score": 0.3, "description": "d".repeat(2001)}),
        json!({"risk_score": 0.3}),
    ] {
        let reply = env.call(post(invalid).by(admin)).await;
        conforms(&doc, CREATE, &reply, 422);
    }
    let unknown = post(json!({"title": "t", "risk_score": 0.3, "note": "n"}));
    conforms(&doc, CREATE, &env.call(unknown.by(admin)).await, 400);
    let mistyped = post(json!({"title": "t", "risk_score": "high"}));
    conforms(&doc, CREATE, &env.call(mistyped.by(admin)).await, 400);
    let garbled = Call::new("insights/create").raw_body("{\"title\": ");
    conforms(&doc, CREATE, &env.call(garbled.by(admin)).await, 400);
    let text = post(plain()).header("content-type", "text/plain");
    conforms(&doc, CREATE, &env.call(text.by(admin)).await, 415);
    let large =
        post(json!({"title": "t", "risk_score": 0.3, "description": "d".repeat(65 * 1024)}));
    conforms(&doc, CREATE, &env.call(large.by(admin)).await, 413);
    for refused in [&office.approver, &office.requester, &office.auditor] {
        let reply = env.call(post(plain()).by(refused)).await;
        conforms(&doc, CREATE, &reply, 403);
    }
}

#[tokio::test]
async fn listing_answers_match_the_description() {
    let doc = document(opsflow_insights::openapi::doc());
    let office = office().await;
    let (env, admin) = (&office.env, &office.admin);
    let (workflow, insight) = first_request(&office).await;
    // Newer than the requester's, and hidden from them.
    let hidden = manual(env, admin).await;

    let list = |query: &[(&str, &str)]| Call::new("insights/list").query(query);
    let all = env.call(list(&[]).by(admin)).await;
    conforms(&doc, LIST, &all, 200);
    assert_eq!(
        page_column(&all.body, "id"),
        vec![hidden.clone(), insight.clone()]
    );
    let query = [
        ("risk_level", "medium"),
        ("status", "OPEN"),
        ("workflow_id", workflow.as_str()),
        ("entity", "approval"),
        ("limit", "1"),
    ];
    let filtered = env.call(list(&query).by(admin)).await;
    conforms(&doc, LIST, &filtered, 200);
    assert_eq!(page_column(&filtered.body, "id"), vec![insight.clone()]);
    // A non-admin's page leaves out what they may not see, read on until
    // it is full: the hidden newer one is passed over, not a short page.
    let mine = env
        .call(list(&[("limit", "1")]).by(&office.requester))
        .await;
    conforms(&doc, LIST, &mine, 200);
    assert_eq!(page_column(&mine.body, "id"), vec![insight.clone()]);
    assert!(mine.body["next_cursor"].is_null(), "{}", mine.body);
    let none = env.call(list(&[]).by(&office.stranger)).await;
    conforms(&doc, LIST, &none, 200);
    assert_eq!(page_column(&none.body, "id"), Vec::<String>::new());
    for (name, value) in [
        ("risk_level", "SEVERE"),
        ("status", "closed"),
        ("entity", "Approval"),
        ("workflow_id", "nope"),
        ("limit", "0"),
    ] {
        let bad = env.call(list(&[(name, value)]).by(admin)).await;
        conforms(&doc, LIST, &bad, 422);
    }
    for query in [
        [("threshold", "0.5")],
        [("cursor", "forged")],
        [("limit", "all")],
    ] {
        let bad = env.call(list(&query).by(admin)).await;
        conforms(&doc, LIST, &bad, 400);
    }
    let twice = list(&[("status", "open"), ("status", "resolved")]);
    conforms(&doc, LIST, &env.call(twice.by(admin)).await, 400);

    let high = |query: &[(&str, &str)]| Call::new("insights/high-risk").query(query);
    let above = env.call(high(&[]).by(admin)).await;
    conforms(&doc, HIGH_RISK, &above, 200);
    assert_eq!(page_column(&above.body, "id"), vec![hidden.clone()]);
    let low_bar = [("threshold", "0.2"), ("workflow_id", workflow.as_str())];
    let low_bar = env.call(high(&low_bar).by(&office.approver)).await;
    conforms(&doc, HIGH_RISK, &low_bar, 200);
    assert_eq!(page_column(&low_bar.body, "id"), vec![insight.clone()]);
    for threshold in ["1.5", "-0.1", "high"] {
        let bad = env.call(high(&[("threshold", threshold)]).by(admin)).await;
        conforms(&doc, HIGH_RISK, &bad, 422);
    }
    let unknown = env.call(high(&[("sort", "score")]).by(admin)).await;
    conforms(&doc, HIGH_RISK, &unknown, 400);

    let of =
        |workflow: &str| Call::new("insights/workflow").path_params(&[("workflow_id", workflow)]);
    let its = env.call(of(&workflow).by(&office.auditor)).await;
    conforms(&doc, WORKFLOW, &its, 200);
    assert_eq!(page_column(&its.body, "id"), vec![insight.clone()]);
    let empty = env.call(of(NOWHERE).by(admin)).await;
    conforms(&doc, WORKFLOW, &empty, 200);
    assert_eq!(page_column(&empty.body, "id"), Vec::<String>::new());
    conforms(
        &doc,
        WORKFLOW,
        &env.call(of("not-an-id").by(admin)).await,
        422,
    );
    let filtered = of(&workflow).query(&[("status", "lost")]);
    conforms(&doc, WORKFLOW, &env.call(filtered.by(admin)).await, 422);
    // The path names the workflow; the query may not.
    let named = of(&workflow).query(&[("workflow_id", NOWHERE)]);
    conforms(&doc, WORKFLOW, &env.call(named.by(admin)).await, 400);
}

#[tokio::test]
async fn read_review_and_delete_answers_match_the_description() {
    let doc = document(opsflow_insights::openapi::doc());
    let office = office().await;
    let (env, admin, approver) = (&office.env, &office.admin, &office.approver);
    let (_, insight) = first_request(&office).await;
    let hidden = manual(env, admin).await;

    // Read: whoever may read the request, and those who read everything.
    for reader in [admin, approver, &office.requester, &office.auditor] {
        let read = env.call(on("insights/get", &insight).by(reader)).await;
        conforms(&doc, GET, &read, 200);
        assert_eq!(read.header("etag"), Some("\"1\""));
        let sum: f64 = read.body["factors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["contribution"].as_f64().unwrap())
            .sum();
        let score = read.body["risk_score"].as_f64().unwrap();
        assert!((sum - score).abs() < 1e-9, "{}", read.body);
    }
    let stranger = on("insights/get", &insight).by(&office.stranger);
    conforms(&doc, GET, &env.call(stranger).await, 404);
    let other = on("insights/get", &hidden).by(&office.requester);
    conforms(&doc, GET, &env.call(other).await, 404);
    for missing in [NOWHERE, "not-an-id"] {
        let reply = env.call(on("insights/get", missing).by(admin)).await;
        conforms(&doc, GET, &reply, 404);
    }

    // Review: admins, and approvers on what they may see.
    let review = |id: &str, body: Value| on("insights/patch", id).body(body);
    let acknowledge = || json!({"status": "acknowledged", "note": "Checking."});
    for refused in [&office.requester, &office.auditor] {
        let reply = env.call(review(&insight, acknowledge()).by(refused)).await;
        conforms(&doc, PATCH, &reply, 403);
    }
    let unseen = review(&hidden, acknowledge()).by(approver);
    conforms(&doc, PATCH, &env.call(unseen).await, 404);
    let nowhere = review(NOWHERE, acknowledge()).by(admin);
    conforms(&doc, PATCH, &env.call(nowhere).await, 404);
    let stale = review(&insight, acknowledge()).header("if-match", "\"2\"");
    conforms(&doc, PATCH, &env.call(stale.by(approver)).await, 412);
    let garbled = review(&insight, acknowledge()).header("if-match", "latest");
    conforms(&doc, PATCH, &env.call(garbled.by(approver)).await, 400);
    let behind = review(&insight, json!({"status": "resolved", "version": 7}));
    conforms(&doc, PATCH, &env.call(behind.by(approver)).await, 409);
    for invalid in [
        json!({"status": "open"}),
        json!({"status": "closed"}),
        json!({"status": "resolved", "note": "n".repeat(1001)}),
        json!({"note": "Why"}),
    ] {
        let reply = env.call(review(&insight, invalid).by(approver)).await;
        conforms(&doc, PATCH, &reply, 422);
    }
    let unknown = review(&insight, json!({"status": "resolved", "reason": "x"}));
    conforms(&doc, PATCH, &env.call(unknown.by(approver)).await, 400);
    let mistyped = review(&insight, json!({"status": "resolved", "version": "1"}));
    conforms(&doc, PATCH, &env.call(mistyped.by(approver)).await, 400);
    let text = review(&insight, acknowledge()).header("content-type", "text/plain");
    conforms(&doc, PATCH, &env.call(text.by(approver)).await, 415);
    let large = review(
        &insight,
        json!({"status": "resolved", "note": "n".repeat(65 * 1024)}),
    );
    conforms(&doc, PATCH, &env.call(large.by(approver)).await, 413);
    let acknowledged = review(&insight, acknowledge()).header("if-match", "\"1\"");
    let acknowledged = env.call(acknowledged.by(approver)).await;
    conforms(&doc, PATCH, &acknowledged, 200);
    assert_eq!(acknowledged.header("etag"), Some("\"2\""));
    assert_eq!(acknowledged.body["status"], "acknowledged");
    let again = env.call(review(&insight, acknowledge()).by(admin)).await;
    conforms(&doc, PATCH, &again, 409);
    let resolve = || review(&insight, json!({"status": "RESOLVED"}));
    let resolved = env.call(resolve().by(admin)).await;
    conforms(&doc, PATCH, &resolved, 200);
    assert_eq!(resolved.body["status"], "resolved");
    assert!(
        resolved.body["resolved_at"].is_string(),
        "{}",
        resolved.body
    );
    conforms(&doc, PATCH, &env.call(resolve().by(admin)).await, 409);

    // Delete: admins only, in any status.
    let delete = |id: &str| on("insights/delete", id);
    for refused in [approver, &office.requester, &office.auditor] {
        let reply = env.call(delete(&insight).by(refused)).await;
        conforms(&doc, DELETE, &reply, 403);
    }
    let stale = delete(&insight).header("if-match", "\"1\"");
    conforms(&doc, DELETE, &env.call(stale.by(admin)).await, 412);
    let garbled = delete(&insight).header("if-match", "latest");
    conforms(&doc, DELETE, &env.call(garbled.by(admin)).await, 400);
    conforms(
        &doc,
        DELETE,
        &env.call(delete(NOWHERE).by(admin)).await,
        404,
    );
    let gone = delete(&insight).header("if-match", "\"3\"");
    conforms(&doc, DELETE, &env.call(gone.by(admin)).await, 204);
    conforms(
        &doc,
        DELETE,
        &env.call(delete(&insight).by(admin)).await,
        404,
    );
    let read = env.call(on("insights/get", &insight).by(admin)).await;
    conforms(&doc, GET, &read, 404);
}

#[test]
fn every_schema_the_description_names_is_in_it() {
    let doc = document(opsflow_insights::openapi::doc());
    let found = resolved_references(&doc);
    for schema in ["InsightView", "InsightFactor", "RiskLevel", "InsightStatus"] {
        let name = format!("/{schema}");
        assert!(found.iter().any(|r| r.ends_with(&name)), "{schema}");
    }
}

#[test]
fn the_named_values_are_the_domains() {
    let doc = document(opsflow_insights::openapi::doc());
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["InsightStatus"]["enum"],
        json!(InsightStatus::NAMES)
    );
    let levels = &schemas["RiskLevel"]["enum"];
    // Every level a score can have, each where the description says it
    // begins, lowest first.
    let lowest = [0.0, 0.25, 0.5, 0.8];
    let named: Vec<&str> = lowest.map(|s| RiskLevel::of(s).as_str()).to_vec();
    assert_eq!(levels, &json!(named));
    for (level, begins) in named.iter().zip(lowest) {
        assert_eq!(RiskLevel::parse(level).map(RiskLevel::as_str), Ok(*level));
        if begins > 0.0 {
            assert_ne!(RiskLevel::of(begins - 0.001).as_str(), *level);
        }
    }
    let described = schemas["RiskLevel"]["description"].as_str().unwrap();
    assert!(
        described.contains("`LOW` < 0.25 ≤ `MEDIUM` < 0.5 ≤ `HIGH` < 0.8 ≤ `CRITICAL`"),
        "{described}"
    );
}
