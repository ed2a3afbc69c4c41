//! The RBAC matrix of identity's functions (`auth`, `users`): every route
//! × every kind of caller → the status the caller gets.

use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::{Call, PASSWORD};
use opsflow_platform::domain::{EntityId, Role};
use serde_json::json;
use std::cell::RefCell;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["auth", "users"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    // `owner` is the account the `/api/v1/users/{id}` routes target; the other
    // callers reach it as somebody else's account.
    let callers = Callers::sign_up(&env).await;
    let owner = &callers.owner;

    // Refresh tokens of an account nobody changes, one per caller: the
    // refresh token is the credential, whatever access token comes along.
    let refresher = env.account("refresher", Role::User).await;
    let mut refresh_tokens = Vec::new();
    for _ in 0..6 {
        refresh_tokens.push(env.login(&refresher.email).await.refresh);
    }
    let refresh_tokens = RefCell::new(refresh_tokens);

    // Logout and delete come last: they end sessions and accounts (the
    // admin deactivates the owner last).
    let rows = vec![
        row([201; 6], "POST /api/v1/auth/register", || {
            Call::new("auth/register").body(json!({
                "email": format!("new-{}@example.com", EntityId::new()),
                "password": PASSWORD,
                "name": "New",
            }))
        }),
        row([200; 6], "POST /api/v1/auth/login", || {
            Call::new("auth/login").body(json!({"email": owner.email, "password": PASSWORD}))
        }),
        row([200; 6], "POST /api/v1/auth/refresh", || {
            let token = refresh_tokens.borrow_mut().pop().expect("a refresh token");
            Call::new("auth/refresh").body(json!({"refresh_token": token}))
        }),
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/auth/me",
            || Call::new("auth/me"),
        ),
        row([401, 403, 403, 403, 200, 403], "GET /api/v1/users", || {
            Call::new("users/list")
        }),
        row(
            [401, 404, 404, 200, 200, 404],
            "GET /api/v1/users/{id}",
            || Call::new("users/get").id(&owner.id),
        ),
        row(
            [401, 404, 404, 200, 403, 404],
            "PATCH /api/v1/users/{id} name",
            || {
                Call::new("users/patch")
                    .id(&owner.id)
                    .body(json!({"name": "Renamed"}))
            },
        ),
        row(
            [401, 404, 404, 403, 200, 404],
            "PATCH /api/v1/users/{id} role",
            || {
                Call::new("users/patch")
                    .id(&owner.id)
                    .body(json!({"role": "approver"}))
            },
        ),
        row(
            [401, 204, 204, 204, 204, 204],
            "POST /api/v1/auth/logout",
            || Call::new("auth/logout"),
        ),
        row(
            [401, 403, 403, 403, 204, 403],
            "DELETE /api/v1/users/{id}",
            || Call::new("users/delete").id(&owner.id),
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
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
