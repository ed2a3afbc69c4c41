//! The RBAC matrix of the `stats` function: the dashboard is an admin's.

use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::Call;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["stats"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let callers = Callers::sign_up(&env).await;
    let rows = vec![row(
        [401, 403, 403, 403, 200, 403],
        "GET /api/v1/stats",
        || Call::new("stats/get"),
    )];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
