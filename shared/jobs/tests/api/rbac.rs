//! The RBAC matrix of the `jobs` function: every route × every kind of
//! caller → the status the caller gets. Jobs act on everyone's data, so
//! every route is an admin's.

use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::Call;
use crate::{at, create};
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["jobs"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let callers = Callers::sign_up(&env).await;
    let report = json!({"type": "generate-report", "data": {"report": "items"}});
    let queued = create(&env, &callers.admin, report.clone()).await;
    let queued = queued["id"].as_str().unwrap().to_owned();
    let other = create(&env, &callers.admin, report.clone()).await;
    let other = other["id"].as_str().unwrap().to_owned();
    let of = |fixture: &str| at(fixture, &queued);

    let rows = vec![
        row([401, 403, 403, 403, 200, 403], "GET /api/v1/jobs", || {
            Call::new("jobs/list").query(&[])
        }),
        row(
            [401, 403, 403, 403, 201, 403],
            "POST /api/v1/jobs",
            move || Call::new("jobs/create").body(report.clone()),
        ),
        row(
            [401, 403, 403, 403, 202, 403],
            "POST /api/v1/jobs/clean",
            || Call::new("jobs/clean").body(json!({"older_than_days": 30})),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "GET /api/v1/jobs/{id}",
            || of("jobs/get"),
        ),
        // Not a report that is ready: the admin is told so.
        row(
            [401, 403, 403, 403, 409, 403],
            "GET /api/v1/jobs/{id}/download",
            || of("jobs/download"),
        ),
        // Only a failed job is retried.
        row(
            [401, 403, 403, 403, 409, 403],
            "POST /api/v1/jobs/{id}/retry",
            || of("jobs/retry"),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "POST /api/v1/jobs/{id}/cancel",
            || of("jobs/cancel"),
        ),
        row(
            [401, 403, 403, 403, 204, 403],
            "DELETE /api/v1/jobs/{id}",
            || at("jobs/delete", &other),
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
