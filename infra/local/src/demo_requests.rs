//! Demo requests for `serve --seed` (`make dev`): the demo user's usual
//! purchase requests on the demo workflow, then one unusual request from
//! the demo approver (a newcomer as a requester), so that the risk scores
//! and insights have something to show: the user's first request is
//! MEDIUM (a first request), the others LOW, and the approver's CRITICAL
//! (an amount far above the rest, a first request, a field never seen).
//! Filed through the approvals' own use case, so the event pipeline scores
//! them as it would any request. Only on a platform with no request yet.

use crate::seed::DEMO_WORKFLOW;
use opsflow_approvals::domain::{Amount, Description, Payload, Title, WorkflowStatus};
use opsflow_approvals::service::approvals::{self, NewRequest};
use opsflow_approvals::store::WorkflowStore;
use opsflow_identity::domain::Email;
use opsflow_identity::store::users::UserStore;
use opsflow_insights::store::StatisticsStore;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::store::Store;
use serde_json::json;
use std::time::Duration;

/// The usual requests: (title, amount, vendor).
const USUAL: [(&str, f64, &str); 8] = [
    ("Office chairs", 540.0, "Seatwell"),
    ("Printer toner", 180.0, "InkHouse"),
    ("Team offsite lunch", 420.0, "Bistro 9"),
    ("Standing desk", 450.0, "Seatwell"),
    ("Conference tickets", 780.0, "DevConf"),
    ("Laptop stands", 260.0, "Seatwell"),
    ("Whiteboards", 310.0, "OfficeCo"),
    ("Monitor cables", 120.0, "CableCo"),
];

/// How long the seed waits for the pipeline to score the usual requests
/// before it files the unusual one (so that it is compared with them).
const SCORED_WITHIN: Duration = Duration::from_secs(20);

fn acting(user_id: EntityId, role: Role) -> Principal {
    Principal {
        user_id,
        role,
        session_id: "local-seed".into(),
        session_generation: None,
        token_id: "local-seed".into(),
        expires_at: 0,
    }
}

async fn user(store: &Store, email: &str) -> anyhow::Result<EntityId> {
    let email = Email::parse(email).map_err(anyhow::Error::msg)?;
    let found = store.user_by_email(&email).await?;
    found
        .map(|u| u.id)
        .ok_or_else(|| anyhow::anyhow!("the demo account {email:?} is missing"))
}

async fn file(
    store: &Store,
    who: &Principal,
    workflow_id: EntityId,
    title: &str,
    amount: f64,
    payload: serde_json::Value,
) -> anyhow::Result<()> {
    let request = NewRequest {
        workflow_id,
        title: Title::parse(title).map_err(anyhow::Error::msg)?,
        description: Description::default(),
        payload: Payload::parse(payload).map_err(anyhow::Error::msg)?,
        amount: Some(Amount::parse(amount).map_err(anyhow::Error::msg)?),
    };
    approvals::file(store, who, "local-seed", request).await?;
    Ok(())
}

/// Files the demo requests, unless any request exists; whether it did.
pub async fn seed_requests(store: &Store) -> anyhow::Result<bool> {
    let (existing, _) = approvals::page_of_all(store, None, 1, None).await?;
    if !existing.is_empty() {
        return Ok(false);
    }
    let (workflows, _) = store
        .list_workflows(Some(WorkflowStatus::Active), 100, None)
        .await?;
    let Some(workflow) = workflows.iter().find(|w| w.name.as_str() == DEMO_WORKFLOW) else {
        return Ok(false);
    };
    let requester = acting(user(store, "user@example.com").await?, Role::User);
    let newcomer = acting(user(store, "approver@example.com").await?, Role::Approver);
    for (title, amount, vendor) in USUAL {
        file(
            store,
            &requester,
            workflow.id,
            title,
            amount,
            json!({"vendor": vendor}),
        )
        .await?;
    }
    let workflow_key = workflow.id.to_string();
    let deadline = tokio::time::Instant::now() + SCORED_WITHIN;
    while store.workflow_stats(&workflow_key).await?.requests < USUAL.len() as u64
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    file(
        store,
        &newcomer,
        workflow.id,
        "Urgent server purchase",
        38_000.0,
        json!({"vendor": "Unknown Trading Ltd", "wire_to": "an account abroad"}),
    )
    .await?;
    Ok(true)
}
