//! The RBAC matrix of the `inventory` function: every route × every kind
//! of caller → the status the caller gets. Everyone signed in reads the
//! inventory; admins create, change and adjust it.

use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::Call;
use crate::{at, create};
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["inventory"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let callers = Callers::sign_up(&env).await;
    create(
        &env,
        &callers.admin,
        json!({"sku": "RBAC-1", "name": "Thing", "unit_price": 100, "quantity": 50}),
    )
    .await;
    let rows = vec![
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/inventory",
            || Call::new("inventory/list").query(&[]),
        ),
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/inventory/low-stock",
            || Call::new("inventory/low-stock"),
        ),
        row(
            [401, 403, 403, 403, 201, 403],
            "POST /api/v1/inventory",
            || {
                Call::new("inventory/create")
                    .body(json!({"sku": "RBAC-2", "name": "Other", "unit_price": 1}))
            },
        ),
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/inventory/{sku}",
            || at("inventory/get", "RBAC-1"),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "PATCH /api/v1/inventory/{sku}",
            || at("inventory/patch", "RBAC-1").body(json!({"unit_price": 120})),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "POST /api/v1/inventory/{sku}/adjust",
            || at("inventory/adjust", "RBAC-1").body(json!({"delta": -1, "reason": "count"})),
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
