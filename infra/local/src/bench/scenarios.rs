//! The benchmark's scenarios: the function each invokes, how its `n`th
//! request differs from the others (a write must not repeat one: a second
//! registration of one address is a 409), and the baseline its warm
//! invocations are compared with.

use super::{call, fixture, with_token};
use crate::runtime::Runtime;
use anyhow::Context;
use serde_json::{json, Value};
use std::path::Path;

/// What a scenario's warm invocations are compared with, measured after
/// each of them by the same process, against the same table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// A bare, strongly consistent `GetItem` of one user item.
    GetItem,
    /// A bare `Query` of a page of ten users (`gsi1`, `USERS`, newest
    /// first): a list's one round trip.
    Query,
    /// A bare `TransactWriteItems` putting as many new items as the
    /// scenario's own transaction holds (its entity, its event, and the
    /// links, guards and counters that commit with them; 2 is the least a
    /// change of Opsflow's writes). The session check's conditions, which
    /// a create may carry, are not counted: they are the cost of the check.
    TransactWrite(usize),
}

impl Baseline {
    pub fn name(self) -> String {
        match self {
            Self::GetItem => "SDK GetItem".to_owned(),
            Self::Query => "SDK Query (10 items)".to_owned(),
            Self::TransactWrite(items) => format!("SDK TransactWriteItems ({items} items)"),
        }
    }
}

/// One scenario.
pub struct Scenario {
    pub function: &'static str,
    pub label: &'static str,
    /// The `n`th request's event.
    pub event: Box<dyn Fn(usize) -> Value>,
    pub baseline: Baseline,
    /// Deliberately slow (argon2): fewer warm invocations.
    pub slow: bool,
}

fn scenario(function: &'static str, label: &'static str, event: Value) -> Scenario {
    Scenario {
        function,
        label,
        event: Box::new(move |_| event.clone()),
        baseline: Baseline::GetItem,
        slow: false,
    }
}

/// A list scenario: compared with a bare `Query` of a page.
fn list(function: &'static str, label: &'static str, event: Value) -> Scenario {
    Scenario {
        baseline: Baseline::Query,
        ..scenario(function, label, event)
    }
}

/// A write scenario whose `n`th request has the body `body(n)` and
/// commits a transaction of `items` items.
fn write(
    (function, label): (&'static str, &'static str),
    items: usize,
    event: Value,
    body: impl Fn(usize) -> Value + 'static,
) -> Scenario {
    Scenario {
        function,
        label,
        event: Box::new(move |n| with_body(event.clone(), &body(n))),
        baseline: Baseline::TransactWrite(items),
        slow: false,
    }
}

/// `event` with a new JSON body (and without the fixture's length and
/// idempotency key, which would no longer fit it).
pub(super) fn with_body(mut event: Value, body: &Value) -> Value {
    event["body"] = json!(body.to_string());
    if let Some(headers) = event["headers"].as_object_mut() {
        headers.remove("content-length");
        headers.remove("idempotency-key");
    }
    event
}

/// The `n`th of many users' requests: each from an address of its own, so
/// the per-address limits of login and registration do not turn the
/// benchmark into a rate-limit test.
fn from_address(mut event: Value, n: usize) -> Value {
    let address = format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    event["requestContext"]["http"]["sourceIp"] = json!(address);
    event
}

/// What the scenarios are built from: the signed-in demo accounts and
/// what the seed made.
pub struct Cast {
    pub admin_token: String,
    pub admin_id: String,
    pub approver_token: String,
    pub login: Value,
    pub workflow_id: String,
    /// Pending requests the approver decides, one per invocation.
    pub pending: Vec<String>,
}

/// A purchase request against the demo workflow (its first step waits on
/// an approver).
fn purchase(workflow_id: &str, n: usize) -> Value {
    json!({"workflow_id": workflow_id, "title": format!("Bench purchase {n}"),
           "amount": 2480.0, "payload": {"vendor": "Example Computers", "items": 2}})
}

/// Files `count` purchase requests as the admin, through the approvals
/// function: the decisions' scenario decides one each.
pub async fn file_requests(
    runtime: &Runtime,
    root: &Path,
    token: &str,
    workflow_id: &str,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let create = with_token(fixture(root, "approvals/create")?, token);
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let event = with_body(create.clone(), &purchase(workflow_id, n));
        let created = call(runtime, "ApprovalsFunction", &event).await?;
        let id = created["id"].as_str().context("the answer has no id")?;
        ids.push(id.to_owned());
    }
    Ok(ids)
}

pub fn all(root: &Path, cast: Cast) -> anyhow::Result<Vec<Scenario>> {
    let Cast {
        admin_token,
        admin_id,
        approver_token,
        login,
        workflow_id,
        pending,
    } = cast;
    let signed = |name: &str| -> anyhow::Result<Value> {
        Ok(with_token(fixture(root, name)?, &admin_token))
    };
    let mut get_user = signed("users/get")?;
    get_user["pathParameters"]["id"] = json!(admin_id);
    get_user["rawPath"] = json!(format!("/api/v1/users/{admin_id}"));
    // The seeded rules evaluated against a small purchase request.
    let dry_run = with_body(
        signed("automation/execute")?,
        &json!({"dry_run": true, "event": {
            "type": "approval.created", "entity": "approval", "entity_id": admin_id,
            "data": {"amount": 12.5, "workflow_name": "Purchase request"}}}),
    );
    let register = fixture(root, "auth/register")?;
    let decide = with_token(fixture(root, "approvals/patch")?, &approver_token);
    let create_rule = signed("rules/create")?;
    let file_request = signed("approvals/create")?;
    let create_webhook = signed("webhooks/create")?;
    let create_item = signed("items/create")?;
    let set_setting = signed("settings/put")?;
    let create_job = signed("jobs/create")?;
    let place_order = signed("orders/create")?;
    let mut queued_jobs = signed("jobs/list")?;
    queued_jobs["rawQueryString"] = json!("status=queued");
    queued_jobs["queryStringParameters"] = json!({"status": "queued"});

    Ok(vec![
        scenario(
            "HealthFunction",
            "health GET /health",
            fixture(root, "health/health")?,
        ),
        scenario(
            "HealthFunction",
            "health GET /readiness",
            fixture(root, "health/readiness")?,
        ),
        scenario(
            "AuthFunction",
            "auth GET /api/v1/auth/me",
            signed("auth/me")?,
        ),
        Scenario {
            event: Box::new(move |n| from_address(login.clone(), n)),
            slow: true,
            ..scenario("AuthFunction", "auth POST /api/v1/auth/login", Value::Null)
        },
        Scenario {
            event: Box::new(move |n| {
                let body = json!({"email": format!("bench-{n}@example.com"),
                                  "password": "correct horse battery staple",
                                  "name": format!("Bench user {n}")});
                from_address(with_body(register.clone(), &body), n)
            }),
            // The user, its e-mail guard and its event.
            baseline: Baseline::TransactWrite(3),
            slow: true,
            ..scenario(
                "AuthFunction",
                "auth POST /api/v1/auth/register",
                Value::Null,
            )
        },
        scenario("UsersFunction", "users GET /api/v1/users/{id}", get_user),
        list(
            "UsersFunction",
            "users GET /api/v1/users",
            signed("users/list")?,
        ),
        list(
            "WorkflowsFunction",
            "workflows GET /api/v1/workflows",
            signed("workflows/list")?,
        ),
        list(
            "ApprovalsFunction",
            "approvals GET /api/v1/approvals?assigned=me",
            signed("approvals/list")?,
        ),
        // The workflow's check, the request, its workflow's and requester's
        // links, the first step's role link, the pending count, the event.
        write(
            ("ApprovalsFunction", "approvals POST /api/v1/approvals"),
            7,
            file_request,
            move |n| purchase(&workflow_id, n),
        ),
        Scenario {
            event: Box::new(move |n| {
                let id = &pending[n % pending.len()];
                let mut event = with_body(
                    decide.clone(),
                    &json!({"status": "APPROVED", "comment": "Within budget"}),
                );
                event["pathParameters"]["id"] = json!(id);
                event["rawPath"] = json!(format!("/api/v1/approvals/{id}"));
                event
            }),
            // The request, the decision, the first step's role link out and
            // the second's in, the event.
            baseline: Baseline::TransactWrite(5),
            ..scenario(
                "ApprovalsFunction",
                "approvals PATCH /api/v1/approvals/{id} (decision)",
                Value::Null,
            )
        },
        list(
            "AuditLogsFunction",
            "audit-logs GET /api/v1/auditLogs",
            signed("audit-logs/list")?,
        ),
        list(
            "RulesFunction",
            "rules GET /api/v1/rules?enabled=true",
            signed("rules/list")?,
        ),
        write(
            ("RulesFunction", "rules POST /api/v1/rules"),
            2,
            create_rule,
            |n| {
                json!({"name": format!("Bench rule {n}"), "trigger": "approval.created",
                   "conditions": {"path": "data.amount", "op": "lt", "value": 100},
                   "actions": [{"type": "log", "message": "small request"}],
                   "priority": 50, "enabled": false})
            },
        ),
        scenario(
            "AutomationFunction",
            "automation POST /api/v1/automation/execute (dry run)",
            dry_run,
        ),
        list(
            "AutomationFunction",
            "automation GET /api/v1/automation/runs",
            signed("automation/runs")?,
        ),
        list(
            "WebhooksFunction",
            "webhooks GET /api/v1/webhooks",
            signed("webhooks/list")?,
        ),
        // Off, so that the benchmark's own events are not delivered.
        write(
            ("WebhooksFunction", "webhooks POST /api/v1/webhooks"),
            2,
            create_webhook,
            |n| {
                json!({"url": format!("https://hooks.example.com/bench/{n}"),
                   "events": ["approval.*"], "active": false})
            },
        ),
        // The item, its six listing links, its event.
        write(
            ("ItemsFunction", "items POST /api/v1/items"),
            8,
            create_item,
            |n| json!({"name": format!("Bench item {n}"), "metadata": {"rack": n % 8}}),
        ),
        // A page of the active items the create scenario made, by name.
        list(
            "ItemsFunction",
            "items GET /api/v1/items?status=active&sort_by=name",
            signed("items/list")?,
        ),
        scenario(
            "SettingsFunction",
            "settings GET /api/v1/settings",
            signed("settings/list")?,
        ),
        // The setting and its event.
        write(
            ("SettingsFunction", "settings PUT /api/v1/settings/{key}"),
            2,
            set_setting,
            |n| json!({"value": n % 2 == 0}),
        ),
        // The job and its event; due in a day, so the benchmark's jobs
        // never run.
        write(
            ("JobsFunction", "jobs POST /api/v1/jobs"),
            2,
            create_job,
            |n| {
                json!({"type": "cleanup", "data": {"older_than_days": 1 + n % 30},
                   "delay_seconds": 86400})
            },
        ),
        // The order, its timeline entry, its event and its line's stock
        // move (then the SKU's low-stock settle: one read). One unit of
        // the seeded cable, of which there are 1 000.
        write(
            ("OrdersFunction", "orders POST /api/v1/orders"),
            4,
            place_order,
            |_| json!({"items": [{"sku": "CABLE-USBC", "quantity": 1}]}),
        ),
        // A page of the queued jobs the create scenario made.
        list(
            "JobsFunction",
            "jobs GET /api/v1/jobs?status=queued",
            queued_jobs,
        ),
    ])
}
