//! Demo data for a local platform: an admin, an approver and a user, each
//! with a random password printed once when the account is made, an active
//! "Purchase request" workflow, and two rules of the admin's (see
//! [`DEMO_RULES`]); with `serve`, a webhook subscription to the local
//! inbox ([`seed_inbox`]). Running it again leaves existing data alone.

use opsflow_approvals::domain::workflow::{parse_steps, StepInput};
use opsflow_approvals::domain::{Description, WorkflowName, WorkflowStatus, WorkflowType};
use opsflow_approvals::service::workflows::{self, NewWorkflow, WorkflowChanges};
use opsflow_approvals::service::ExpectedVersion;
use opsflow_automation::language::RuleInput;
use opsflow_automation::service::decisions::{self, DecisionRuleInput};
use opsflow_automation::service::{rules, RuleError};
use opsflow_identity::accounts::{create_account, NewAccount, Registrar};
use opsflow_identity::domain::{DisplayName, Email, NewPassword};
use opsflow_identity::store::users::CreateUserError;
use opsflow_identity::store::users::UserStore;
use opsflow_platform::auth::secret;
use opsflow_platform::auth::Principal;
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::events::Actor;
use opsflow_platform::store::Store;
use opsflow_webhooks::domain::subscription::{Description as SubscriptionDescription, Interests};
use opsflow_webhooks::domain::target::{AllowList, Target};
use opsflow_webhooks::service::subscriptions::{self, NewSubscription};
use opsflow_webhooks::store::SubscriptionStore;

/// A demo account; `password` is `None` when it already existed.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: String,
    pub role: Role,
    pub password: Option<String>,
}

/// The demo workflow's name.
pub const DEMO_WORKFLOW: &str = "Purchase request";

/// The demo workflow's id in a page of `GET /api/v1/workflows`.
pub fn demo_workflow_id(page: &serde_json::Value) -> anyhow::Result<String> {
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|w| w["name"] == DEMO_WORKFLOW)
        .and_then(|w| w["id"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("the seeded workflow is not listed"))
}

pub const DEMO_ACCOUNTS: [(&str, &str, Role); 4] = [
    ("admin@example.com", "Ada Admin", Role::Admin),
    ("approver@example.com", "Avery Approver", Role::Approver),
    ("user@example.com", "Uma User", Role::User),
    ("auditor@example.com", "Aude Auditor", Role::Auditor),
];

pub async fn seed(store: &Store) -> anyhow::Result<Vec<DemoLogin>> {
    let mut logins = Vec::new();
    let mut new_admin = None;
    for (email, name, role) in DEMO_ACCOUNTS {
        let password = secret::generate()?[..20].to_owned();
        let account = NewAccount {
            email: Email::parse(email).map_err(anyhow::Error::msg)?,
            name: DisplayName::parse(name).map_err(anyhow::Error::msg)?,
            password: NewPassword::parse(password.clone()).map_err(anyhow::Error::msg)?,
            role,
        };
        let created = match create_account(store, account, Registrar::System, "local-seed").await {
            Ok(user) => {
                if role == Role::Admin {
                    new_admin = Some(user.id);
                }
                Some(password)
            }
            Err(CreateUserError::EmailTaken) => None,
            Err(CreateUserError::Store(error)) => return Err(error.into()),
        };
        logins.push(DemoLogin {
            email: email.to_owned(),
            role,
            password: created,
        });
    }
    if let Some(admin) = new_admin {
        seed_workflow(store, admin).await?;
        seed_rules(store, admin).await?;
        seed_inventory(store).await?;
    }
    Ok(logins)
}

/// The demo inventory: `(sku, name, units, unit price in cents)`; the
/// monitor starts below its threshold (20), so the low-stock list has one.
pub const DEMO_INVENTORY: [(&str, &str, i64, i64); 4] = [
    ("DESK-120", "Standing desk, 120 cm", 40, 45_000),
    ("CHAIR-ERGO", "Ergonomic chair", 25, 18_900),
    ("MONITOR-27", "27-inch monitor", 12, 32_900),
    ("CABLE-USBC", "USB-C cable, 2 m", 1_000, 1_500),
];

async fn seed_inventory(store: &Store) -> anyhow::Result<()> {
    use opsflow_inventory::domain::{Sku, SkuName, DEFAULT_LOW_STOCK_THRESHOLD};
    use opsflow_inventory::service::{self as inventory, InventoryError, NewSku};
    for (sku, name, quantity, unit_price) in DEMO_INVENTORY {
        let new = NewSku {
            sku: Sku::parse(sku).map_err(anyhow::Error::msg)?,
            name: SkuName::parse(name).map_err(anyhow::Error::msg)?,
            quantity,
            unit_price,
            low_stock_threshold: DEFAULT_LOW_STOCK_THRESHOLD,
        };
        match inventory::create(store, &Actor::system(), "local-seed", new).await {
            Ok(_) | Err(InventoryError::Duplicate(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// The demo rules: small purchase requests are approved at once, and every
/// rejection is handed to the webhooks queue and noted in the audit log.
pub fn demo_rules() -> [serde_json::Value; 2] {
    [
        serde_json::json!({
            "name": "Auto-approve small purchase requests",
            "description": "Purchase requests under 100 need no review.",
            "trigger": "approval.created",
            "conditions": {"all": [
                {"path": "data.workflow_name", "op": "eq", "value": "Purchase request"},
                {"path": "data.amount", "op": "lt", "value": 100}
            ]},
            "actions": [
                {"type": "approve", "comment": "Auto-approved: under 100"},
                {"type": "log", "message": "small purchase request approved by rule"}
            ],
            "priority": 10
        }),
        serde_json::json!({
            "name": "Notify on rejection",
            "trigger": "approval.rejected",
            "actions": [
                {"type": "notify_webhook", "topic": "approvals.rejected"},
                {"type": "log", "message": "a request was rejected"}
            ],
            "priority": 100
        }),
    ]
}

async fn seed_rules(store: &Store, admin: EntityId) -> anyhow::Result<()> {
    let actor = Actor {
        id: admin.to_string(),
        role: Role::Admin.to_string(),
    };
    for rule in demo_rules() {
        let input: RuleInput = serde_json::from_value(rule)?;
        rules::create_rule(store, actor.clone(), admin, "local-seed", input)
            .await
            .map_err(|error| match error {
                RuleError::Invalid(problems) => anyhow::anyhow!("demo rule: {problems:?}"),
                other => anyhow::Error::new(other),
            })?;
    }
    Ok(())
}

/// An active two-step "Purchase request" workflow, made by the demo admin
/// on a fresh seed.
async fn seed_workflow(store: &Store, admin: EntityId) -> anyhow::Result<()> {
    let steps = parse_steps(vec![
        StepInput {
            name: Some("Team lead".into()),
            approver_role: Some("approver".into()),
            approver_ids: None,
            required_approvals: 1,
            // Left two days, the request goes to the admins too.
            escalate_after: Some("2d".into()),
            escalate_to_role: Some("admin".into()),
            escalate_to_ids: None,
        },
        StepInput {
            name: Some("Finance".into()),
            approver_role: Some("admin".into()),
            approver_ids: None,
            required_approvals: 1,
            escalate_after: None,
            escalate_to_role: None,
            escalate_to_ids: None,
        },
    ])
    .map_err(|errors| anyhow::anyhow!("demo workflow steps: {errors:?}"))?;
    // The demo admin acts, as if signed in.
    let admin = Principal {
        user_id: admin,
        role: Role::Admin,
        session_id: "local-seed".into(),
        session_generation: None,
        token_id: "local-seed".into(),
        expires_at: 0,
    };
    let new = NewWorkflow {
        name: WorkflowName::parse(DEMO_WORKFLOW).map_err(anyhow::Error::msg)?,
        description: Description::parse("Purchases above the team card limit")
            .map_err(anyhow::Error::msg)?,
        steps,
        allow_same_approver_across_steps: false,
        workflow_type: Some(WorkflowType::parse("PURCHASE_REQUEST").map_err(anyhow::Error::msg)?),
    };
    let workflow = workflows::create(store, &admin, "local-seed", new).await?;
    seed_decision_rule(store, &admin).await?;
    let activate = WorkflowChanges {
        status: Some(WorkflowStatus::Active),
        ..WorkflowChanges::default()
    };
    workflows::update(
        store,
        &admin,
        "local-seed",
        &workflow.id,
        activate,
        ExpectedVersion::default(),
    )
    .await?;
    Ok(())
}

/// The demo decision rule: requests of type `HIGH_VALUE_TRANSACTION` over
/// 10 000 with a risk score of 0.7 or more are escalated.
async fn seed_decision_rule(store: &Store, admin: &Principal) -> anyhow::Result<()> {
    let input: DecisionRuleInput = serde_json::from_value(serde_json::json!({
        "workflow_type": "HIGH_VALUE_TRANSACTION",
        "description": "Large, risky transactions go to a person",
        "conditions": [
            {"field": "transaction.value", "operator": "gt", "value": 10000},
            {"field": "risk_score", "operator": "gte", "value": 0.7}
        ],
        "outcome": "ESCALATED"
    }))?;
    decisions::create_version(store, admin, "local-seed", input)
        .await
        .map_err(|error| anyhow::anyhow!("demo decision rule: {error:?}"))?;
    Ok(())
}

/// The demo subscription's patterns and topics: rejections, as events and
/// as the "Notify on rejection" rule hands them over.
pub fn demo_subscription() -> (Vec<String>, Vec<String>) {
    (
        vec!["approval.rejected".to_owned()],
        vec!["approvals.rejected".to_owned()],
    )
}

/// Subscribes `url` (the local webhook inbox) to [`demo_subscription`], on
/// behalf of the demo admin, unless a subscription to it exists. Returns
/// whether it made one.
pub async fn seed_inbox(store: &Store, url: &str) -> anyhow::Result<bool> {
    let (mut start, mut next_page) = (None, true);
    while next_page {
        let (page, next) = store.list_subscriptions(None, 100, start).await?;
        if page.iter().any(|s| s.url == url) {
            return Ok(false);
        }
        next_page = next.is_some();
        start = next;
    }
    let email = Email::parse(DEMO_ACCOUNTS[0].0).map_err(anyhow::Error::msg)?;
    let Some(admin) = store.user_by_email(&email).await? else {
        anyhow::bail!("the demo admin is missing: seed first");
    };
    let allow = AllowList::parse("127.0.0.1");
    let (events, topics) = demo_subscription();
    let new = NewSubscription {
        target: Target::parse(url, &allow).map_err(|e| anyhow::anyhow!("{url}: {e}"))?,
        description: SubscriptionDescription::parse("The local webhook inbox (make dev)")
            .map_err(anyhow::Error::msg)?,
        interests: Interests::parse(&events, &topics)
            .map_err(|(f, m)| anyhow::anyhow!("{f}: {m}"))?,
        active: true,
    };
    let actor = Actor {
        id: admin.id.to_string(),
        role: Role::Admin.to_string(),
    };
    subscriptions::create(store, actor, admin.id, "local-seed", new).await?;
    Ok(true)
}

/// The banner lines for the logins.
pub fn describe(logins: &[DemoLogin]) -> String {
    let mut out = String::from("Demo logins:\n");
    for login in logins {
        let password = login
            .password
            .as_deref()
            .unwrap_or("(unchanged; it was printed when first seeded; `--reset` starts over)");
        out.push_str(&format!(
            "  {:<9} {:<22} {}\n",
            login.role.as_str(),
            login.email,
            password
        ));
    }
    out
}
