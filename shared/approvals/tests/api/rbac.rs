//! The RBAC matrix of the `workflows` and `approvals` functions: every
//! route × every kind of caller → the status the caller gets.

use crate::helpers::rbac::{Matrix, Row};
use crate::helpers::Call;
use opsflow_platform::domain::Role;
use serde_json::json;

/// The functions whose routes this matrix covers.
const FUNCTIONS: &[&str] = &["workflows", "approvals"];

#[tokio::test]
async fn every_route_answers_each_caller_as_the_permission_table_says() {
    let env = crate::env().await;
    let user = env.account("user", Role::User).await;
    let approver = env.account("approver", Role::Approver).await;
    let admin = env.account("admin", Role::Admin).await;
    // `owner` files the request the `/approvals/{id}` routes target.
    let owner = env.account("owner", Role::User).await;

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
    env.activate_workflow(&admin, &workflow).await;
    let approval = env
        .create(
            Call::new("approvals/create")
                .token(Some(&owner.tokens.access))
                .body(json!({"workflow_id": workflow, "title": "Chairs"})),
        )
        .await;

    // The draft's deletion comes last.
    let rows: Vec<Row> = vec![
        (
            "GET /workflows",
            Box::new(|| Call::new("workflows/list")),
            [401, 200, 200, 200, 200],
        ),
        (
            "POST /workflows",
            Box::new(|| Call::new("workflows/create").body(json!({"name": "New"}))),
            [401, 403, 403, 403, 201],
        ),
        (
            "GET /workflows/{id} active",
            Box::new(|| Call::new("workflows/get").resource_id("workflows", &workflow)),
            [401, 200, 200, 200, 200],
        ),
        (
            "GET /workflows/{id} draft",
            Box::new(|| Call::new("workflows/get").resource_id("workflows", &draft)),
            [401, 404, 404, 404, 200],
        ),
        (
            "PATCH /workflows/{id}",
            Box::new(|| {
                Call::new("workflows/patch")
                    .resource_id("workflows", &workflow)
                    .body(json!({"description": "Chairs and desks"}))
            }),
            [401, 403, 403, 403, 200],
        ),
        (
            "POST /approvals",
            Box::new(|| {
                Call::new("approvals/create")
                    .body(json!({"workflow_id": workflow, "title": "Lamps"}))
            }),
            [401, 201, 201, 201, 201],
        ),
        (
            "GET /approvals",
            Box::new(|| Call::new("approvals/list").query(&[])),
            [401, 200, 200, 200, 200],
        ),
        (
            "GET /approvals/{id}",
            Box::new(|| Call::new("approvals/get").resource_id("approvals", &approval)),
            [401, 404, 200, 200, 200],
        ),
        (
            "GET /approvals?requester_id=owner",
            Box::new(|| Call::new("approvals/list").query(&[("requester_id", &owner.id)])),
            [401, 403, 403, 200, 200],
        ),
        (
            // The step needs two approvers: the approver's decision counts
            // and leaves it open for the others' answers.
            "PATCH /approvals/{id} approve",
            Box::new(|| {
                Call::new("approvals/patch")
                    .resource_id("approvals", &approval)
                    .body(json!({"status": "APPROVED"}))
            }),
            [401, 404, 200, 403, 403],
        ),
        (
            "PATCH /approvals/{id} cancel",
            Box::new(|| {
                Call::new("approvals/patch")
                    .resource_id("approvals", &approval)
                    .body(json!({"status": "CANCELLED"}))
            }),
            [401, 404, 403, 200, 403],
        ),
        (
            "DELETE /workflows/{id}",
            Box::new(|| Call::new("workflows/delete").resource_id("workflows", &draft)),
            [401, 403, 403, 403, 204],
        ),
    ];
    let matrix = Matrix {
        env: &env,
        functions: FUNCTIONS,
        emails: [
            None,
            Some(user.email.clone()),
            Some(approver.email.clone()),
            Some(owner.email.clone()),
            Some(admin.email.clone()),
        ],
    };
    matrix.check(&rows, None).await;
}
