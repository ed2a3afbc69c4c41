//! The workflows' and approvals' real answers are the ones their OpenAPI
//! description promises: for each route, a success and the errors a
//! client meets, checked for status, media type and body schema.

use crate::helpers::{Account, Call, Reply, TestEnv};
use opsflow_platform::domain::Role;
use opsflow_platform::testkit::contract::{assert_conforms, document};
use serde_json::{json, Value};

/// Asserts that `reply` to `route` is one the description promises, with
/// the status the test expects.
fn conforms(doc: &Value, route: &str, reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{route}: {}", reply.body);
    assert_conforms(doc, route, reply);
}

async fn office() -> (TestEnv, Account, Account, Account) {
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let approver = env.account("approver", Role::Approver).await;
    let user = env.account("user", Role::User).await;
    (env, admin, approver, user)
}

const NOWHERE: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

#[tokio::test]
async fn workflow_answers_match_the_description() {
    let doc = document(opsflow_approvals::openapi::doc());
    let (env, admin, _, user) = office().await;
    let at = |call: Call, id: &str| call.resource_id("workflows", id);

    let body = json!({
        "name": "Purchase request",
        "steps": [
            {"name": "Lead", "approver_role": "approver", "required_approvals": 1},
            {"approver_ids": [admin.id], "required_approvals": 1}
        ]
    });
    let create = || Call::new("workflows/create").body(body.clone());
    let created = env.call(create().by(&admin)).await;
    conforms(&doc, "POST /api/v1/workflows", &created, 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let refused = env.call(create().by(&user)).await;
    conforms(&doc, "POST /api/v1/workflows", &refused, 403);
    let nameless = Call::new("workflows/create").body(json!({"name": " "}));
    let invalid = env.call(nameless.by(&admin)).await;
    conforms(&doc, "POST /api/v1/workflows", &invalid, 422);
    let text = create().header("content-type", "text/plain");
    conforms(
        &doc,
        "POST /api/v1/workflows",
        &env.call(text.by(&admin)).await,
        415,
    );
    let unknown = Call::new("workflows/create").body(json!({"name": "x", "colour": 1}));
    conforms(
        &doc,
        "POST /api/v1/workflows",
        &env.call(unknown.by(&admin)).await,
        400,
    );

    let read = env
        .call(at(Call::new("workflows/get"), &id).by(&admin))
        .await;
    conforms(&doc, "GET /api/v1/workflows/{id}", &read, 200);
    let hidden = env
        .call(at(Call::new("workflows/get"), &id).by(&user))
        .await;
    conforms(&doc, "GET /api/v1/workflows/{id}", &hidden, 404);

    let patch = |body: Value| at(Call::new("workflows/patch"), &id).body(body);
    let activated = env
        .call(patch(json!({"status": "ACTIVE"})).by(&admin))
        .await;
    conforms(&doc, "PATCH /api/v1/workflows/{id}", &activated, 200);
    let steps = json!({"steps": [{"approver_role": "user", "required_approvals": 1}]});
    let frozen = env.call(patch(steps).by(&admin)).await;
    conforms(&doc, "PATCH /api/v1/workflows/{id}", &frozen, 409);
    let stale = patch(json!({"name": "Renamed"})).header("if-match", "\"1\"");
    conforms(
        &doc,
        "PATCH /api/v1/workflows/{id}",
        &env.call(stale.by(&admin)).await,
        412,
    );

    let list = |query: &[(&str, &str)]| Call::new("workflows/list").query(query);
    let listed = env.call(list(&[]).by(&user)).await;
    conforms(&doc, "GET /api/v1/workflows", &listed, 200);
    assert_eq!(listed.body["items"][0]["id"], json!(id));
    let drafts = env.call(list(&[("status", "DRAFT")]).by(&user)).await;
    conforms(&doc, "GET /api/v1/workflows", &drafts, 403);
    let bogus = env.call(list(&[("status", "LIVE")]).by(&admin)).await;
    conforms(&doc, "GET /api/v1/workflows", &bogus, 422);
    let typo = env.call(list(&[("satus", "ACTIVE")]).by(&admin)).await;
    conforms(&doc, "GET /api/v1/workflows", &typo, 400);

    let draft = env
        .create(
            Call::new("workflows/create")
                .by(&admin)
                .body(json!({"name": "Spare"})),
        )
        .await;
    let delete = |id: &str| at(Call::new("workflows/delete"), id);
    let gone = env.call(delete(&draft).by(&admin)).await;
    conforms(&doc, "DELETE /api/v1/workflows/{id}", &gone, 204);
    let again = env.call(delete(&draft).by(&admin)).await;
    conforms(&doc, "DELETE /api/v1/workflows/{id}", &again, 404);
    let missing = env
        .call(at(Call::new("workflows/get"), NOWHERE).by(&admin))
        .await;
    conforms(&doc, "GET /api/v1/workflows/{id}", &missing, 404);
}

#[tokio::test]
async fn approval_answers_match_the_description() {
    let doc = document(opsflow_approvals::openapi::doc());
    let (env, admin, approver, user) = office().await;
    let workflow = env.active_workflow(&admin, "Purchase request").await;
    let at = |call: Call, id: &str| call.resource_id("approvals", id);

    let filing = json!({
        "workflow_id": workflow,
        "title": "Two laptops",
        "payload": {"vendor": "Example Computers"},
        "amount": 2480.5
    });
    let file = || {
        Call::new("approvals/create")
            .header("idempotency-key", "laptops-1")
            .body(filing.clone())
    };
    let filed = env.call(file().by(&user)).await;
    conforms(&doc, "POST /api/v1/approvals", &filed, 201);
    let id = filed.body["id"].as_str().unwrap().to_owned();
    let replayed = env.call(file().by(&user)).await;
    conforms(&doc, "POST /api/v1/approvals", &replayed, 201);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, filed.body);
    let nowhere = json!({"workflow_id": NOWHERE, "title": "Lost"});
    let invalid = env
        .call(Call::new("approvals/create").by(&user).body(nowhere))
        .await;
    conforms(&doc, "POST /api/v1/approvals", &invalid, 422);

    let list = |query: &[(&str, &str)]| Call::new("approvals/list").query(query);
    let mine = env.call(list(&[]).by(&user)).await;
    conforms(&doc, "GET /api/v1/approvals", &mine, 200);
    let waiting = env.call(list(&[("assigned", "me")]).by(&approver)).await;
    conforms(&doc, "GET /api/v1/approvals", &waiting, 200);
    assert_eq!(waiting.body["items"][0]["id"], json!(id));
    let others = env
        .call(list(&[("requester_id", admin.id.as_str())]).by(&user))
        .await;
    conforms(&doc, "GET /api/v1/approvals", &others, 403);
    let anyone = env.call(list(&[("assigned", "you")]).by(&user)).await;
    conforms(&doc, "GET /api/v1/approvals", &anyone, 422);

    let decide = |status: &str| {
        at(Call::new("approvals/patch"), &id).body(json!({"status": status, "comment": "ok"}))
    };
    let own = env.call(decide("APPROVED").by(&user)).await;
    conforms(&doc, "PATCH /api/v1/approvals/{id}", &own, 403);
    let decided = env.call(decide("APPROVED").by(&approver)).await;
    conforms(&doc, "PATCH /api/v1/approvals/{id}", &decided, 200);
    let late = env.call(decide("CANCELLED").by(&user)).await;
    conforms(&doc, "PATCH /api/v1/approvals/{id}", &late, 409);
    let maybe = env.call(decide("MAYBE").by(&approver)).await;
    conforms(&doc, "PATCH /api/v1/approvals/{id}", &maybe, 422);

    let read = env
        .call(at(Call::new("approvals/get"), &id).by(&user))
        .await;
    conforms(&doc, "GET /api/v1/approvals/{id}", &read, 200);
    assert_eq!(read.body["decisions"][0]["decision"], "APPROVED");
    let stranger = env.account("stranger", Role::User).await;
    let hidden = env
        .call(at(Call::new("approvals/get"), &id).by(&stranger))
        .await;
    conforms(&doc, "GET /api/v1/approvals/{id}", &hidden, 404);
}
