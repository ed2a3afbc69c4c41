//! The RBAC matrix of the `webhooks` function: every route × every kind of
//! caller → the status the caller gets. Subscriptions are admins' alone.

use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::Call;
use opsflow_platform::domain::EntityId;
use opsflow_webhooks::domain::delivery::Status;
use opsflow_webhooks::store::deliveries::DeliveryRecord;
use opsflow_webhooks::store::DeliveryStore;
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
    // A delivery that failed, to read and redeliver.
    let store = env.owned_app().store;
    let mut failed = DeliveryRecord::new(
        EntityId::new(),
        EntityId::parse(&hook).unwrap(),
        EntityId::new(),
        "approval.rejected".into(),
        None,
        "{}".into(),
        opsflow_platform::clock::now(),
    );
    failed.status = Status::Failed;
    store.create_delivery(&failed).await.unwrap();
    let delivery = failed.id.to_string();
    let of = |fixture: &str| {
        Call::new(fixture).path_params(&[("id", &hook), ("delivery_id", &delivery)])
    };

    // The deletion comes last.
    let rows = vec![
        row(
            [401, 403, 403, 403, 200, 403],
            "GET /api/v1/webhooks",
            || Call::new("webhooks/list"),
        ),
        row(
            [401, 403, 403, 403, 201, 403],
            "POST /api/v1/webhooks",
            || {
                Call::new("webhooks/create")
                    .body(json!({"url": "https://hooks.example.com/other", "events": ["*"]}))
            },
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "GET /api/v1/webhooks/{id}",
            || at("webhooks/get"),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "PATCH /api/v1/webhooks/{id}",
            || at("webhooks/patch").body(json!({"description": "changed"})),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "POST /api/v1/webhooks/{id}/rotate-secret",
            || at("webhooks/rotate-secret"),
        ),
        row(
            [401, 403, 403, 403, 202, 403],
            "POST /api/v1/webhooks/{id}/ping",
            || at("webhooks/ping"),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "GET /api/v1/webhooks/{id}/deliveries",
            || of("webhooks/deliveries"),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "GET /api/v1/webhooks/{id}/deliveries/{delivery_id}",
            || of("webhooks/delivery"),
        ),
        row(
            [401, 403, 403, 403, 202, 403],
            "POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            || of("webhooks/redeliver"),
        ),
        row(
            [401, 403, 403, 403, 204, 403],
            "DELETE /api/v1/webhooks/{id}",
            || at("webhooks/delete"),
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
