//! The settings' real answers are the ones their OpenAPI description
//! promises: for each route, a success and the errors a client meets,
//! checked for status, media type and body schema.

use crate::at;
use crate::helpers::{Call, Reply};
use opsflow_platform::domain::Role;
use opsflow_platform::testkit::contract::{assert_conforms, document};
use serde_json::{json, Value};

fn conforms(doc: &Value, route: &str, reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{route}: {}", reply.body);
    assert_conforms(doc, route, reply);
}

const LIST: &str = "GET /api/v1/settings";
const GET: &str = "GET /api/v1/settings/{key}";
const PUT: &str = "PUT /api/v1/settings/{key}";

#[tokio::test]
async fn every_routes_answers_match_the_description() {
    let doc = document(opsflow_settings::openapi::doc());
    let env = crate::env().await;
    let admin = env.account("admin", Role::Admin).await;
    let user = env.account("user", Role::User).await;

    let list = |who| Call::new("settings/list").by(who);
    conforms(&doc, LIST, &env.call(list(&user)).await, 200);
    conforms(
        &doc,
        LIST,
        &env.call(list(&user).query(&[("limit", "5")])).await,
        400,
    );

    let get = |key: &str, who| at("settings/get", key).by(who);
    conforms(&doc, GET, &env.call(get("app.name", &admin)).await, 200);
    conforms(&doc, GET, &env.call(get("app.name", &user)).await, 403);
    conforms(&doc, GET, &env.call(get("app.colour", &admin)).await, 404);

    let put = |key: &str, body: Value| at("settings/put", key).by(&admin).body(body);
    conforms(
        &doc,
        PUT,
        &env.call(put("app.name", json!({"value": "Ops"}))).await,
        200,
    );
    // The set value is shown as set, and read back.
    conforms(&doc, GET, &env.call(get("app.name", &admin)).await, 200);
    conforms(&doc, LIST, &env.call(list(&admin)).await, 200);
    let by_user = at("settings/put", "app.name")
        .by(&user)
        .body(json!({"value": "x"}));
    conforms(&doc, PUT, &env.call(by_user).await, 403);
    conforms(
        &doc,
        PUT,
        &env.call(put("app.colour", json!({"value": "x"}))).await,
        404,
    );
    conforms(
        &doc,
        PUT,
        &env.call(put("app.name", json!({"value": 1}))).await,
        422,
    );
    conforms(
        &doc,
        PUT,
        &env.call(put("app.name", json!({"other": 1}))).await,
        400,
    );
    let stale = put("app.name", json!({"value": "x", "version": 0}));
    conforms(&doc, PUT, &env.call(stale).await, 409);
    let stale = put("app.name", json!({"value": "x"})).header("if-match", "\"0\"");
    conforms(&doc, PUT, &env.call(stale).await, 412);
    let big = put("app.name", json!({"value": "x".repeat(65 * 1024)}));
    conforms(&doc, PUT, &env.call(big).await, 413);
    let text = at("settings/put", "app.name")
        .by(&admin)
        .raw_body("value=x")
        .header("content-type", "text/plain");
    conforms(&doc, PUT, &env.call(text).await, 415);
}
