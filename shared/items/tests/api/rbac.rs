//! The RBAC matrix of the `items` function: every route × every kind of
//! caller → the status the caller gets. Every signed-in caller reads and
//! creates items; the owner of an item and admins change and delete it.

use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::Call;
use crate::{at, named};
use opsflow_platform::domain::Role;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["items"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let callers = Callers::sign_up(&env).await;
    let item = named(&env, &callers.owner, "The owner's").await;
    let of = |fixture: &str| at(fixture, &item);
    // An item of someone among none of the callers, for an admin to delete.
    let third = env.account("third", Role::User).await;
    let theirs = named(&env, &third, "Someone else's").await;

    // Deletion comes last; each caller's successful change moves the
    // version, so changes carry none.
    let rows = vec![
        row([401, 200, 200, 200, 200, 200], "GET /api/v1/items", || {
            Call::new("items/list").query(&[])
        }),
        row([401, 201, 201, 201, 201, 403], "POST /api/v1/items", || {
            Call::new("items/create").body(serde_json::json!({"name": "Mine"}))
        }),
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/items/{id}",
            || of("items/get"),
        ),
        row(
            [401, 403, 403, 200, 200, 403],
            "PATCH /api/v1/items/{id}",
            || of("items/patch").body(serde_json::json!({"description": "changed"})),
        ),
        row(
            [401, 403, 403, 200, 200, 403],
            "PUT /api/v1/items/{id}",
            || of("items/put").body(serde_json::json!({"name": "Replaced", "status": "active"})),
        ),
        row(
            [401, 403, 403, 204, 404, 403],
            "DELETE /api/v1/items/{id} (the owner's item)",
            || of("items/delete"),
        ),
        row(
            [401, 403, 403, 403, 204, 403],
            "DELETE /api/v1/items/{id} (another user's item)",
            || at("items/delete", &theirs),
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
