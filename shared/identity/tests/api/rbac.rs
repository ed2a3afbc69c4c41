//! The RBAC matrix of identity's functions (`auth`, `users`): every route
//! × every kind of caller → the status the caller gets.

use crate::helpers::rbac::{Matrix, Row};
use crate::helpers::{Call, PASSWORD};
use opsflow_platform::domain::{EntityId, Role};
use serde_json::json;
use std::cell::RefCell;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["auth", "users"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let user = env.account("user", Role::User).await;
    let approver = env.account("approver", Role::Approver).await;
    let admin = env.account("admin", Role::Admin).await;
    // `owner` is the account the `/users/{id}` routes target; the other
    // callers reach it as somebody else's account.
    let owner = env.account("owner", Role::User).await;

    // Refresh tokens of an account nobody changes, one per caller: the
    // refresh token is the credential, whatever access token comes along.
    let refresher = env.account("refresher", Role::User).await;
    let mut refresh_tokens = Vec::new();
    for _ in 0..5 {
        refresh_tokens.push(env.login(&refresher.email).await.refresh);
    }
    let refresh_tokens = RefCell::new(refresh_tokens);

    // Logout and delete come last: they end sessions and accounts (the
    // admin deactivates the owner last).
    let rows: Vec<Row> = vec![
        (
            "POST /auth/register",
            Box::new(|| {
                Call::new("auth/register").body(json!({
                    "email": format!("new-{}@example.com", EntityId::new()),
                    "password": PASSWORD,
                    "name": "New",
                }))
            }),
            [201; 5],
        ),
        (
            "POST /auth/login",
            Box::new(|| {
                Call::new("auth/login").body(json!({"email": owner.email, "password": PASSWORD}))
            }),
            [200; 5],
        ),
        (
            "POST /auth/refresh",
            Box::new(|| {
                let token = refresh_tokens.borrow_mut().pop().expect("a refresh token");
                Call::new("auth/refresh").body(json!({"refresh_token": token}))
            }),
            [200; 5],
        ),
        (
            "GET /auth/me",
            Box::new(|| Call::new("auth/me")),
            [401, 200, 200, 200, 200],
        ),
        (
            "GET /users",
            Box::new(|| Call::new("users/list")),
            [401, 403, 403, 403, 200],
        ),
        (
            "GET /users/{id}",
            Box::new(|| Call::new("users/get").id(&owner.id)),
            [401, 404, 404, 200, 200],
        ),
        (
            "PATCH /users/{id} name",
            Box::new(|| {
                Call::new("users/patch")
                    .id(&owner.id)
                    .body(json!({"name": "Renamed"}))
            }),
            [401, 404, 404, 200, 403],
        ),
        (
            "PATCH /users/{id} role",
            Box::new(|| {
                Call::new("users/patch")
                    .id(&owner.id)
                    .body(json!({"role": "approver"}))
            }),
            [401, 404, 404, 403, 200],
        ),
        (
            "POST /auth/logout",
            Box::new(|| Call::new("auth/logout")),
            [401, 204, 204, 204, 204],
        ),
        (
            "DELETE /users/{id}",
            Box::new(|| Call::new("users/delete").id(&owner.id)),
            [401, 403, 403, 403, 204],
        ),
    ];
    let matrix = Matrix {
        env: &env,
        functions: FUNCTIONS,
        emails: [
            None,
            Some(user.email),
            Some(approver.email),
            Some(owner.email.clone()),
            Some(admin.email),
        ],
    };
    matrix.check(&rows, None).await;
}

#[tokio::test]
async fn refresh_needs_no_access_token_but_a_valid_refresh_token() {
    let env = crate::env().await;
    let account = env.account("refresher", Role::User).await;
    let anonymous = env
        .call(
            Call::new("auth/refresh")
                .token(None)
                .body(json!({"refresh_token": account.tokens.refresh})),
        )
        .await;
    assert_eq!(anonymous.status, 200);
    let unknown = env
        .call(Call::new("auth/refresh").body(json!({"refresh_token": "A".repeat(43)})))
        .await;
    assert_eq!(unknown.status, 401);
}
