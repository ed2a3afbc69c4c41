//! The `auth` and `users` functions answer what their OpenAPI description
//! (`opsflow_identity::openapi`) documents: for each route, real replies,
//! successes and refusals, have a documented status, media type and body.

use crate::helpers::{login_request, me_request, patch_user, Call, Reply, TestEnv, PASSWORD};
use opsflow_platform::domain::Role;
use opsflow_platform::testkit::contract::{assert_conforms, check, document};
use serde_json::{json, Value};

/// Sends `call` and checks the reply against `route`; the reply, for more.
async fn sent(env: &TestEnv, doc: &Value, route: &str, call: Call) -> Reply {
    let reply = env.call(call).await;
    assert_conforms(doc, route, &reply);
    reply
}

const REGISTER: &str = "POST /api/v1/auth/register";
const LOGIN: &str = "POST /api/v1/auth/login";
const REFRESH: &str = "POST /api/v1/auth/refresh";
const LOGOUT: &str = "POST /api/v1/auth/logout";
const ME: &str = "GET /api/v1/auth/me";

#[tokio::test]
async fn auth_answers_as_documented() {
    let env = crate::env().await;
    let doc = document(opsflow_identity::openapi::doc());
    let registration = |email: &str| {
        Call::new("auth/register")
            .ip("198.51.100.77")
            .body(json!({"email": email, "password": PASSWORD, "name": "Ada"}))
    };

    let created = sent(&env, &doc, REGISTER, registration("ada@example.com")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let keyed = || registration("keyed@example.com").header("idempotency-key", "signup-1");
    assert_eq!(sent(&env, &doc, REGISTER, keyed()).await.status, 201);
    let replayed = sent(&env, &doc, REGISTER, keyed()).await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    let taken = sent(&env, &doc, REGISTER, registration("ada@example.com")).await;
    assert_eq!(taken.status, 409);
    let invalid = sent(&env, &doc, REGISTER, registration("not an address")).await;
    assert_eq!(invalid.status, 422);
    let unknown = Call::new("auth/register").body(json!({"email": "x@example.com", "admin": true}));
    assert_eq!(sent(&env, &doc, REGISTER, unknown).await.status, 400);
    let text = Call::new("auth/register")
        .header("content-type", "text/plain")
        .raw_body("{}");
    assert_eq!(sent(&env, &doc, REGISTER, text).await.status, 415);
    let huge =
        Call::new("auth/register").raw_body(&format!("{{\"name\":\"{}\"}}", "x".repeat(9000)));
    assert_eq!(sent(&env, &doc, REGISTER, huge).await.status, 413);

    let login = sent(
        &env,
        &doc,
        LOGIN,
        login_request("ada@example.com", PASSWORD),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.body);
    let wrong = sent(
        &env,
        &doc,
        LOGIN,
        login_request("ada@example.com", "wrong password"),
    )
    .await;
    assert_eq!(wrong.status, 401);
    let empty = sent(&env, &doc, LOGIN, login_request("ada@example.com", "")).await;
    assert_eq!(empty.status, 422);

    let refresh_token = login.body["refresh_token"].as_str().unwrap();
    let refresh = |token: &str| Call::new("auth/refresh").body(json!({"refresh_token": token}));
    let refreshed = sent(&env, &doc, REFRESH, refresh(refresh_token)).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let spent = sent(&env, &doc, REFRESH, refresh(refresh_token)).await;
    assert_eq!(spent.status, 401);

    let account = env.account("grace", Role::User).await;
    let me = sent(&env, &doc, ME, me_request(&account.tokens.access)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let logout = Call::new("auth/logout").by(&account);
    assert_eq!(sent(&env, &doc, LOGOUT, logout).await.status, 204);
    let ended = sent(&env, &doc, ME, me_request(&account.tokens.access)).await;
    assert_eq!(ended.status, 401);
    let anonymous = Call::new("auth/logout").token(None);
    assert_eq!(sent(&env, &doc, LOGOUT, anonymous).await.status, 401);
}

#[tokio::test]
async fn a_deactivated_account_and_throttled_logins_answer_as_documented() {
    let env = crate::env_vars(crate::THROTTLED_LOGINS).await;
    let doc = document(opsflow_identity::openapi::doc());
    let admin = env.account("admin", Role::Admin).await;
    let gone = env.account("gone", Role::User).await;
    let deactivate = Call::new("users/delete").by(&admin).id(&gone.id);
    assert_eq!(env.call(deactivate).await.status, 204);
    let refused = sent(&env, &doc, LOGIN, login_request(&gone.email, PASSWORD)).await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    let mut statuses = Vec::new();
    for _ in 0..5 {
        let guess = login_request(&admin.email, "a wrong guess");
        statuses.push(sent(&env, &doc, LOGIN, guess).await.status);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

const LIST: &str = "GET /api/v1/users";
const GET: &str = "GET /api/v1/users/{id}";
const PATCH: &str = "PATCH /api/v1/users/{id}";
const DELETE: &str = "DELETE /api/v1/users/{id}";

#[tokio::test]
async fn users_answers_as_documented() {
    let env = crate::env().await;
    let doc = document(opsflow_identity::openapi::doc());
    let admin = env.account("admin", Role::Admin).await;
    let ann = env.account("ann", Role::User).await;

    let list = |by, query: &[(&str, &str)]| Call::new("users/list").by(by).query(query);
    let page = sent(&env, &doc, LIST, list(&admin, &[("limit", "1")])).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body["next_cursor"].is_string(), "{}", page.body);
    let by_role = sent(&env, &doc, LIST, list(&admin, &[("role", "admin")])).await;
    assert_eq!(by_role.status, 200, "{}", by_role.body);
    assert_eq!(sent(&env, &doc, LIST, list(&ann, &[])).await.status, 403);
    let bad_role = list(&admin, &[("role", "root")]);
    assert_eq!(sent(&env, &doc, LIST, bad_role).await.status, 422);
    let typo = list(&admin, &[("rol", "admin")]);
    assert_eq!(sent(&env, &doc, LIST, typo).await.status, 400);
    let anonymous = Call::new("users/list").token(None);
    assert_eq!(sent(&env, &doc, LIST, anonymous).await.status, 401);

    let get = |by, id: &str| Call::new("users/get").by(by).id(id);
    assert_eq!(sent(&env, &doc, GET, get(&ann, &ann.id)).await.status, 200);
    assert_eq!(
        sent(&env, &doc, GET, get(&ann, &admin.id)).await.status,
        404
    );

    let renamed = sent(
        &env,
        &doc,
        PATCH,
        patch_user(&ann, &ann.id, json!({"name": "Ann B"})),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let stale = patch_user(&ann, &ann.id, json!({"name": "Ann C"})).header("if-match", "\"1\"");
    assert_eq!(sent(&env, &doc, PATCH, stale).await.status, 412);
    let stale_body = patch_user(&ann, &ann.id, json!({"name": "Ann C", "version": 1}));
    assert_eq!(sent(&env, &doc, PATCH, stale_body).await.status, 409);
    let not_hers = patch_user(&admin, &ann.id, json!({"name": "Someone"}));
    assert_eq!(sent(&env, &doc, PATCH, not_hers).await.status, 403);
    let nothing = patch_user(&ann, &ann.id, json!({}));
    assert_eq!(sent(&env, &doc, PATCH, nothing).await.status, 422);
    let wrong_type = patch_user(&ann, &ann.id, json!({"is_active": "yes"}));
    assert_eq!(sent(&env, &doc, PATCH, wrong_type).await.status, 400);

    let delete = |by, id: &str| Call::new("users/delete").by(by).id(id);
    assert_eq!(
        sent(&env, &doc, DELETE, delete(&ann, &admin.id))
            .await
            .status,
        403
    );
    assert_eq!(
        sent(&env, &doc, DELETE, delete(&admin, &admin.id))
            .await
            .status,
        409
    );
    assert_eq!(
        sent(&env, &doc, DELETE, delete(&admin, &ann.id))
            .await
            .status,
        204
    );
    let unknown = delete(
        &admin,
        &opsflow_platform::domain::EntityId::new().to_string(),
    );
    assert_eq!(sent(&env, &doc, DELETE, unknown).await.status, 404);
}

#[test]
fn the_check_refuses_what_the_description_does_not_say() {
    let doc = document(opsflow_identity::openapi::doc());
    let refused = |status: u16, content_type: Option<&str>, body: Value| {
        check(&doc, ME, status, content_type, &body).is_err()
    };
    let user = json!({
        "id": "0190d8a4-5a3c-7cc1-9b6e-0c1f2a3b4c5d", "email": "ada@example.com",
        "name": "Ada", "role": "user", "is_active": true,
        "created_at": "2026-11-22T09:15:02Z", "updated_at": "2026-11-22T09:15:02Z", "version": 1,
    });
    let json = Some("application/json");
    assert!(
        !refused(200, json, user.clone()),
        "a documented answer passes"
    );
    assert!(refused(418, json, user.clone()), "an undocumented status");
    assert!(
        refused(200, Some("text/plain"), user.clone()),
        "another media type"
    );
    let without = |field: &str| {
        let mut body = user.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    assert!(
        refused(200, json, without("email")),
        "a required field missing"
    );
    let with = |field: &str, value: Value| {
        let mut body = user.clone();
        body[field] = value;
        body
    };
    assert!(
        refused(200, json, with("role", json!("root"))),
        "a role no enum has"
    );
    assert!(
        refused(200, json, with("id", json!("42"))),
        "an id that is no uuid"
    );
    assert!(
        refused(200, json, with("version", json!("1"))),
        "a string for an integer"
    );
    assert!(
        refused(200, json, with("created_at", json!("yesterday"))),
        "no date-time"
    );
    let problem = json!({"type": "urn:opsflow:problem:not-found", "title": "Not Found",
        "status": 404, "detail": "no such user"});
    assert!(!refused(
        404,
        Some("application/problem+json"),
        problem.clone()
    ));
    assert!(refused(404, json, problem), "a problem sent as plain JSON");
}
