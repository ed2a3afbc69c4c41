//! The RBAC matrix of the `settings` function: every signed-in caller
//! reads the settings; admins read one with its version and set it.

use crate::at;
use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::Call;
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["settings"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let callers = Callers::sign_up(&env).await;
    let rows = vec![
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/settings",
            || Call::new("settings/list"),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "GET /api/v1/settings/{key}",
            || at("settings/get", "app.name"),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "PUT /api/v1/settings/{key}",
            || at("settings/put", "features.dark_mode").body(json!({"value": true})),
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
