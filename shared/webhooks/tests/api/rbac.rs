//! The RBAC matrix of the `webhooks` function: every route × every kind of
//! caller → the status the caller gets. Subscriptions are admins' alone.

use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::Call;
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["webhooks"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let callers = Callers::sign_up(&env).await;
    let hook = env
        .create(
            Call::new("webhooks/create")
                .by(&callers.admin)
                .body(json!({"url": "https://hooks.example.com/in", "events": ["approval.*"]})),
        )
        .await;
    let at = |fixture: &str| Call::new(fixture).resource_id("api/v1/webhooks", &hook);

    // The deletion comes last.
    let rows = vec![
        row([401, 403, 403, 403, 200], "GET /api/v1/webhooks", || {
            Call::new("webhooks/list")
        }),
        row([401, 403, 403, 403, 201], "POST /api/v1/webhooks", || {
            Call::new("webhooks/create")
                .body(json!({"url": "https://hooks.example.com/other", "events": ["*"]}))
        }),
        row(
            [401, 403, 403, 403, 200],
            "GET /api/v1/webhooks/{id}",
            || at("webhooks/get"),
        ),
        row(
            [401, 403, 403, 403, 200],
            "PATCH /api/v1/webhooks/{id}",
            || at("webhooks/patch").body(json!({"description": "changed"})),
        ),
        row(
            [401, 403, 403, 403, 200],
            "POST /api/v1/webhooks/{id}/rotate-secret",
            || at("webhooks/rotate-secret"),
        ),
        row(
            [401, 403, 403, 403, 202],
            "POST /api/v1/webhooks/{id}/ping",
            || at("webhooks/ping"),
        ),
        row(
            [401, 403, 403, 403, 204],
            "DELETE /api/v1/webhooks/{id}",
            || at("webhooks/delete"),
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
