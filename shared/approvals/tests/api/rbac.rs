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
    // `owner` files the request the `/approvals/{id}` routes target.
    let callers = Callers::sign_up(&env).await;
    let Callers { admin, owner, .. } = &callers;

    // A workflow whose one step needs two approvers, a request the owner
    // filed against it, and a draft to delete.
    let create_workflow = |name: &str| {
        Call::new("workflows/create")
            .token(Some(&admin.tokens.access))
            .body(json!({"name": name, "steps": [
                {"approver_role": "approver", "required_approvals": 2}
            ]}))
    };
    let workflow = env.create(create_workflow("Purchases")).await;
    let draft = env.create(create_workflow("Draft")).await;
    env.activate_workflow(admin, &workflow).await;
    let approval = env
        .create(
            Call::new("approvals/create")
                .token(Some(&owner.tokens.access))
                .body(json!({"workflow_id": workflow, "title": "Chairs"})),
        )
        .await;

    // The draft's deletion comes last.
    let rows = vec![
        row(
            "GET /workflows",
            || Call::new("workflows/list"),
            [401, 200, 200, 200, 200],
        ),
        row(
            "POST /workflows",
            || Call::new("workflows/create").body(json!({"name": "New"})),
            [401, 403, 403, 403, 201],
        ),
        row(
            "GET /workflows/{id} active",
            || Call::new("workflows/get").resource_id("workflows", &workflow),
            [401, 200, 200, 200, 200],
        ),
        row(
            "GET /workflows/{id} draft",
            || Call::new("workflows/get").resource_id("workflows", &draft),
            [401, 404, 404, 404, 200],
        ),
        row(
            "PATCH /workflows/{id}",
            || {
                Call::new("workflows/patch")
                    .resource_id("workflows", &workflow)
                    .body(json!({"description": "Chairs and desks"}))
            },
            [401, 403, 403, 403, 200],
        ),
        row(
            "POST /approvals",
            || {
                Call::new("approvals/create")
                    .body(json!({"workflow_id": workflow, "title": "Lamps"}))
            },
            [401, 201, 201, 201, 201],
        ),
        row(
            "GET /approvals",
            || Call::new("approvals/list").query(&[]),
            [401, 200, 200, 200, 200],
        ),
        row(
            "GET /approvals/{id}",
            || Call::new("approvals/get").resource_id("approvals", &approval),
            [401, 404, 200, 200, 200],
        ),
        row(
            "GET /approvals?requester_id=owner",
            || Call::new("approvals/list").query(&[("requester_id", &owner.id)]),
            [401, 403, 403, 200, 200],
        ),
        // The step needs two approvers: the approver's decision counts
        // and leaves it open for the others' answers.
        row(
            "PATCH /approvals/{id} approve",
            || {
                Call::new("approvals/patch")
                    .resource_id("approvals", &approval)
                    .body(json!({"status": "APPROVED"}))
            },
            [401, 404, 200, 403, 403],
        ),
        row(
            "PATCH /approvals/{id} cancel",
            || {
                Call::new("approvals/patch")
                    .resource_id("approvals", &approval)
                    .body(json!({"status": "CANCELLED"}))
            },
            [401, 404, 403, 200, 403],
        ),
        row(
            "DELETE /workflows/{id}",
            || Call::new("workflows/delete").resource_id("workflows", &draft),
            [401, 403, 403, 403, 204],
        ),
    ];
    Matrix::new(&env, FUNCTIONS, &callers)
        .check(&rows, None)
        .await;
}
