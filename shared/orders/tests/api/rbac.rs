//! The RBAC matrix of the `orders` function: every route × every kind of
//! caller → the status the caller gets. Everyone signed in places orders
//! and reads their own; another user's order is 404; admins see and move
//! every order; the owner may only cancel their own pending order.

use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::Call;
use crate::{at, order, stock};
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["orders"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let callers = Callers::sign_up(&env).await;
    stock(&env, &callers.admin, "RBAC-1", 1_000, 100).await;
    let owned = order(&env, &callers.owner, &[("RBAC-1", 1)]).await;
    let id = owned.body["id"].as_str().unwrap().to_owned();
    let of = |fixture: &str| at(fixture, &id);
    // A cancelled order of the owner's, for an admin to delete.
    let done = order(&env, &callers.owner, &[("RBAC-1", 1)]).await;
    let done = done.body["id"].as_str().unwrap().to_owned();
    let cancel = at("orders/patch", &done)
        .by(&callers.owner)
        .body(json!({"status": "cancelled"}));
    assert_eq!(env.call(cancel).await.status, 200);
    let rows = vec![
        row([401, 200, 200, 200, 200, 200], "GET /api/v1/orders", || {
            Call::new("orders/list").query(&[])
        }),
        row(
            [401, 201, 201, 201, 201, 403],
            "POST /api/v1/orders",
            || {
                Call::new("orders/create")
                    .body(json!({"items": [{"sku": "RBAC-1", "quantity": 1}]}))
            },
        ),
        // Analytics are an admin's.
        row(
            [401, 403, 403, 403, 200, 403],
            "GET /api/v1/orders/analytics",
            || Call::new("orders/analytics").query(&[]),
        ),
        row(
            [401, 404, 404, 200, 200, 404],
            "GET /api/v1/orders/{id}",
            || of("orders/get"),
        ),
        row(
            [401, 404, 404, 200, 200, 404],
            "GET /api/v1/orders/{id}/timeline",
            || of("orders/timeline"),
        ),
        // Processing is an admin's move; the owner gets 403.
        row(
            [401, 404, 404, 403, 200, 404],
            "PATCH /api/v1/orders/{id}",
            || of("orders/patch").body(json!({"status": "processing"})),
        ),
        // Deleting is an admin's; the owner gets 403, others 404.
        row(
            [401, 404, 404, 403, 204, 404],
            "DELETE /api/v1/orders/{id}",
            || at("orders/delete", &done),
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
