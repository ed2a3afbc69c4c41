//! Risk through the local runtime: the router's insights lane carries
//! approval events to the `insights-analyzer`; a regular requester's usual
//! requests stay LOW, and a large, unusual request from a new requester
//! shows a HIGH (or CRITICAL) risk on the approval with the factors that
//! made it, recorded by the system in its audit trail.

use super::{poll_until, Demo};
use serde_json::{json, Value};

/// Reads approval `id` until its risk is there.
async fn risk_of(demo: &Demo, token: &str, id: &str) -> Value {
    let path = format!("/api/v1/approvals/{id}");
    let approval = poll_until(&demo.client, token, &path, |a| a["risk"].is_object()).await;
    assert!(approval["risk"].is_object(), "never scored: {approval}");
    approval["risk"].clone()
}

#[tokio::test]
async fn an_unusual_request_from_a_new_requester_shows_its_risk_and_why() {
    let demo = Demo::start().await;
    let client = &demo.client;
    let workflow = demo.workflow().await;
    for n in 0..6 {
        let amount = 300.0 + f64::from(n) * 60.0;
        let id = demo.file(&format!("Supplies {n}"), amount).await;
        // In order: each is scored against the ones before it.
        risk_of(&demo, &demo.user, &id).await;
    }
    let (status, _) = client
        .send(
            reqwest::Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"email": "newcomer@example.com",
                        "password": "correct horse battery staple", "name": "Newcomer"})),
        )
        .await;
    assert_eq!(status, 201);
    let newcomer = client
        .login("newcomer@example.com", "correct horse battery staple")
        .await["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let (status, filed) = client
        .post(
            "/api/v1/approvals",
            &newcomer,
            json!({"workflow_id": workflow, "title": "Urgent wire", "amount": 45000.0,
                   "payload": {"wire_to": "an account abroad"}}),
        )
        .await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["id"].as_str().expect("an id");

    let risk = risk_of(&demo, &newcomer, id).await;
    assert!(
        matches!(risk["level"].as_str(), Some("HIGH" | "CRITICAL")),
        "{risk}"
    );
    assert!(risk["score"].as_f64() >= Some(0.7), "{risk}");
    let factors: Vec<&str> = risk["factors"]
        .as_array()
        .expect("factors")
        .iter()
        .map(|f| f["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(factors[..2], ["amount", "new_requester"], "{risk}");
    assert!(
        risk["factors"][0]["explanation"]
            .as_str()
            .unwrap_or_default()
            .contains("45000"),
        "{risk}"
    );

    // The audit trail shows the system recording it.
    let audit = format!("/api/v1/auditLogs?entity=approval&entity_id={id}");
    let page = poll_until(client, &demo.admin, &audit, |page| {
        page["items"].as_array().map(Vec::len) >= Some(2)
    })
    .await;
    let scored = page["items"]
        .as_array()
        .expect("a page")
        .iter()
        .find(|r| r["action"] == "approval.risk_scored")
        .cloned()
        .unwrap_or_default();
    assert_eq!(scored["user_id"], "system", "{page}");

    // The newcomer sees the insight on their request, and its audit trail.
    let mine = poll_until(client, &newcomer, "/api/v1/aiInsights", |page| {
        !page["items"].as_array().is_none_or(Vec::is_empty)
    })
    .await;
    let insight = mine["items"][0]["id"].as_str().expect("an insight");
    assert_eq!(mine["items"][0]["entity_id"], id, "{mine}");
    let audit = format!("/api/v1/auditLogs?entity=insight&entity_id={insight}");
    let trail = poll_until(client, &newcomer, &audit, |page| {
        !page["items"].as_array().is_none_or(Vec::is_empty)
    })
    .await;
    assert_eq!(trail["items"][0]["action"], "insight.created", "{trail}");
    demo.finish().await;
}

#[tokio::test]
async fn the_demo_requests_show_their_insights_with_factors() {
    let demo = Demo::start().await;
    let store = opsflow_platform::store::Store::new(
        demo.platform.dynamodb.clone(),
        demo.platform.table_name.clone(),
    );
    assert!(opsflow_local::demo_requests::seed_requests(&store)
        .await
        .expect("seeded"));
    assert!(!opsflow_local::demo_requests::seed_requests(&store)
        .await
        .expect("checked"));
    let client = &demo.client;
    let high = poll_until(
        client,
        &demo.admin,
        "/api/v1/aiInsights/high-risk?threshold=0.7",
        |page| !page["items"].as_array().is_none_or(Vec::is_empty),
    )
    .await;
    let items = high["items"].as_array().expect("a page");
    assert_eq!(items.len(), 1, "{high}");
    assert_eq!(items[0]["risk_level"], "CRITICAL", "{high}");
    assert_eq!(items[0]["entity"], "approval");
    let names: Vec<&str> = items[0]["factors"]
        .as_array()
        .expect("factors")
        .iter()
        .filter(|f| f["contribution"].as_f64() > Some(0.0))
        .map(|f| f["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["amount", "new_requester", "new_fields"], "{high}");
    // The user's first request is MEDIUM, and the user sees that one only.
    let mine = poll_until(client, &demo.user, "/api/v1/aiInsights", |page| {
        !page["items"].as_array().is_none_or(Vec::is_empty)
    })
    .await;
    let mine = mine["items"].as_array().expect("a page");
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["risk_level"], "MEDIUM");
    demo.finish().await;
}
