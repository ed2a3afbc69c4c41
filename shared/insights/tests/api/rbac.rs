//! The RBAC matrix of the `insights` function: every route × every kind
//! of caller → the status the caller gets. Reading is everyone's, limited
//! to what they may see; reviewing is admins' and approvers'; raising by
//! hand and deleting are admins'.

use crate::at;
use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::Call;
use crate::routes::{first_request, id};
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["insights"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let callers = Callers::sign_up(&env).await;
    let (workflow, _, insight) = first_request(&env, &callers.admin, &callers.owner).await;
    let insight = id(&insight);
    let manual = id(&crate::raise(&env, &callers.admin, json!({})).await);
    let workflow_path = workflow.clone();
    let create = json!({"title": "Stock count off", "risk_score": 0.4});
    let rows = vec![
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/aiInsights",
            || Call::new("insights/list").query(&[]),
        ),
        row(
            [401, 403, 403, 403, 201, 403],
            "POST /api/v1/aiInsights",
            move || Call::new("insights/create").body(create.clone()),
        ),
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/aiInsights/high-risk",
            || Call::new("insights/high-risk").query(&[("threshold", "0.2")]),
        ),
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/aiInsights/workflow/{workflow_id}",
            move || Call::new("insights/workflow").path_params(&[("workflow_id", &workflow_path)]),
        ),
        // About the owner's request: its approvers, its owner and those
        // who read everything see it; another user does not.
        row(
            [401, 404, 200, 200, 200, 200],
            "GET /api/v1/aiInsights/{id}",
            || at("insights/get", &insight),
        ),
        // The approver acknowledges it first; the admin's repeat is then
        // an illegal move.
        row(
            [401, 403, 200, 403, 409, 403],
            "PATCH /api/v1/aiInsights/{id}",
            || at("insights/patch", &insight).body(json!({"status": "acknowledged"})),
        ),
        row(
            [401, 403, 403, 403, 204, 403],
            "DELETE /api/v1/aiInsights/{id}",
            || at("insights/delete", &manual),
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
