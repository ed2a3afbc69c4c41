//! The RBAC matrix of the `workflows` and `approvals` functions: every
//! route × every kind of caller → the status the caller gets.

use crate::helpers::rbac::{row, Callers, Matrix};
use crate::helpers::Call;
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["workflows", "approvals"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    // `owner` files the request the `/api/v1/approvals/{id}` routes target.
    let callers = Callers::sign_up(&env).await;
    let Callers { admin, owner, .. } = &callers;

    // A workflow whose one step needs two approvers, a request the owner
    // filed against it, and a draft to delete.
    let create_workflow = |name: &str| {
        Call::new("workflows/create")
            .by(admin)
            .body(json!({"name": name, "steps": [
                {"approver_role": "approver", "required_approvals": 2}
            ]}))
    };
    let workflow = env.create(create_workflow("Purchases")).await;
    let draft = env.create(create_workflow("Draft")).await;
    env.activate_workflow(admin, &workflow).await;
    let approval = env.file_approval(owner, &workflow, "Chairs").await;

    let decide = |status: &str| {
        Call::new("approvals/patch")
            .resource_id("approvals", &approval)
            .body(json!({ "status": status }))
    };
    // The draft's deletion comes last.
    let rows = vec![
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/workflows",
            || Call::new("workflows/list"),
        ),
        row(
            [401, 403, 403, 403, 201, 403],
            "POST /api/v1/workflows",
            || Call::new("workflows/create").body(json!({"name": "New"})),
        ),
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/workflows/{id} active",
            || Call::new("workflows/get").resource_id("workflows", &workflow),
        ),
        row(
            [401, 404, 404, 404, 200, 200],
            "GET /api/v1/workflows/{id} draft",
            || Call::new("workflows/get").resource_id("workflows", &draft),
        ),
        row(
            [401, 403, 403, 403, 200, 403],
            "PATCH /api/v1/workflows/{id}",
            || {
                Call::new("workflows/patch")
                    .resource_id("workflows", &workflow)
                    .body(json!({"description": "Chairs and desks"}))
            },
        ),
        row(
            [401, 201, 201, 201, 201, 403],
            "POST /api/v1/approvals",
            || {
                Call::new("approvals/create")
                    .body(json!({"workflow_id": workflow, "title": "Lamps"}))
            },
        ),
        row(
            [401, 200, 200, 200, 200, 200],
            "GET /api/v1/approvals",
            || Call::new("approvals/list").query(&[]),
        ),
        row(
            [401, 404, 200, 200, 200, 200],
            "GET /api/v1/approvals/{id}",
            || Call::new("approvals/get").resource_id("approvals", &approval),
        ),
        row(
            [401, 403, 403, 200, 200, 200],
            "GET /api/v1/approvals?requester_id=owner",
            || Call::new("approvals/list").query(&[("requester_id", &owner.id)]),
        ),
        // The step needs two approvers: the approver's decision counts
        // and leaves it open for the others' answers.
        row(
            [401, 404, 200, 403, 403, 403],
            "PATCH /api/v1/approvals/{id} approve",
            || decide("APPROVED"),
        ),
        row(
            [401, 404, 403, 200, 403, 403],
            "PATCH /api/v1/approvals/{id} cancel",
            || decide("CANCELLED"),
        ),
        row(
            [401, 403, 403, 403, 204, 403],
            "DELETE /api/v1/workflows/{id}",
            || Call::new("workflows/delete").resource_id("workflows", &draft),
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
