//! End to end through `serve`: the template's real functions, started from
//! scratch on the emulators, called over real HTTP. Events travel outbox →
//! stream → router → queue → audit writer and are read back through the
//! `audit-logs` function.
//!
//! Invariant: each test starts its own platform under its own environment
//! name and removes its tables and keys when it ends.

#[path = "serve_e2e/decisions.rs"]
mod decisions;
#[path = "serve_e2e/detectors.rs"]
mod detectors;
#[path = "serve_e2e/escalation.rs"]
mod escalation;
#[path = "serve_e2e/insights.rs"]
mod insights;
#[path = "serve_e2e/rotation.rs"]
mod rotation;

use opsflow_local::platform::{Platform, PlatformOptions};
use opsflow_local::seed;
use opsflow_platform::store::Store;
use reqwest::Method;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

fn binaries_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_lambda-probe"))
        .parent()
        .expect("a target directory")
        .to_path_buf()
}

async fn start() -> (Platform, PathBuf) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut options = PlatformOptions::from_env();
    options.template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    options
        .parameters
        .insert("Environment".into(), format!("e2e-{}", &id[..8]));
    options.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    options.binaries_dir = binaries_dir();
    let keys_dir = std::env::temp_dir().join(format!("opsflow-e2e-keys-{id}"));
    options.keys_dir = keys_dir.clone();
    options.print_logs = std::env::var("E2E_LOGS").is_ok();
    let platform = Platform::start(options)
        .await
        .expect("the platform starts (emulators up, `cargo build --workspace --bins` done)");
    (platform, keys_dir)
}

/// A started platform with the demo data, a client of its gateway, and
/// the access tokens of the three demo accounts.
struct Demo {
    platform: Platform,
    keys_dir: PathBuf,
    client: Client,
    admin: String,
    approver: String,
    user: String,
    auditor: String,
}

impl Demo {
    async fn start() -> Self {
        let (platform, keys_dir) = start().await;
        let client = Client {
            base: format!("http://{}", platform.address),
            http: reqwest::Client::new(),
        };
        let store = Store::new(platform.dynamodb.clone(), platform.table_name.clone());
        let logins = seed::seed(&store).await.expect("seed");
        Demo {
            admin: client.demo_login(&logins, "admin@example.com").await,
            approver: client.demo_login(&logins, "approver@example.com").await,
            user: client.demo_login(&logins, "user@example.com").await,
            auditor: client.demo_login(&logins, "auditor@example.com").await,
            platform,
            keys_dir,
            client,
        }
    }

    /// The id of the seeded workflow, as the user lists it.
    async fn workflow(&self) -> Value {
        let (status, workflows) = self
            .client
            .send(
                reqwest::Method::GET,
                "/api/v1/workflows",
                Some(&self.user),
                None,
            )
            .await;
        assert_eq!(status, 200, "{workflows}");
        workflows["items"][0]["id"].clone()
    }

    /// Files a request on the seeded workflow as the demo user; the
    /// approval's id.
    async fn file(&self, title: &str, amount: f64) -> String {
        let workflow = self.workflow().await;
        let (status, filed) = self
            .client
            .send(
                reqwest::Method::POST,
                "/api/v1/approvals",
                Some(&self.user),
                Some(json!({"workflow_id": workflow, "title": title, "amount": amount})),
            )
            .await;
        assert_eq!(status, 201, "{filed}");
        filed["id"].as_str().expect("an id").to_owned()
    }

    async fn finish(self) {
        finish(self.platform, self.keys_dir).await;
    }
}

/// Stops the platform and removes what its start created: its tables
/// (named after the test's own environment) and its keys.
async fn finish(platform: Platform, keys_dir: PathBuf) {
    let dynamodb = platform.dynamodb.clone();
    let tables: Vec<String> = platform.resources.table_names.values().cloned().collect();
    platform.stop().await;
    for table in tables {
        let _ = opsflow_platform::store::schema::delete_table(&dynamodb, &table).await;
    }
    let _ = std::fs::remove_dir_all(keys_dir);
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    /// A GET with this access token.
    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.send(Method::GET, path, Some(token), None).await
    }

    /// A POST of `body` with this access token.
    async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    /// A PATCH of `body` with this access token.
    async fn patch(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.send(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the gateway answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a readable body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, body)
    }
}

impl Client {
    /// Logs a seeded demo account in; its access token.
    async fn demo_login(&self, logins: &[seed::DemoLogin], email: &str) -> String {
        let login = logins
            .iter()
            .find(|l| l.email == email)
            .expect("a demo account");
        let password = login.password.clone().expect("a fresh seed's password");
        let body = self.login(email, &password).await;
        body["access_token"].as_str().expect("a token").to_owned()
    }

    /// Logs in; the answer (tokens and user).
    async fn login(&self, email: &str, password: &str) -> Value {
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// Reads `path` until it lists at least `count` items (the pipeline is
/// asynchronous), and returns the last answer.
async fn page_of_at_least(client: &Client, token: &str, path: &str, count: usize) -> Value {
    poll_until(client, token, path, |page| {
        page["items"].as_array().map(Vec::len) >= Some(count)
    })
    .await
}

/// A page of audit records as (action, user id), oldest first.
fn trail(page: &Value) -> Vec<(String, String)> {
    let records = page["items"].as_array().expect("a page");
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    records
        .iter()
        .rev()
        .map(|r| (text(&r["action"]), text(&r["user_id"])))
        .collect()
}

/// The `sub` of an access token (its payload, not verified here).
fn subject(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    let claims: Value = serde_json::from_slice(&bytes).expect("JSON claims");
    claims["sub"].as_str().expect("a subject").to_owned()
}

/// The actions recorded about a user, oldest first, read straight from the
/// audit table.
async fn audit_actions(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    user_id: &str,
) -> Vec<String> {
    let output = dynamodb
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("ENTITY#user#{user_id}")),
        )
        .send()
        .await
        .expect("query the audit table");
    output
        .items()
        .iter()
        .filter_map(|item| item.get("action").and_then(|a| a.as_s().ok()).cloned())
        .collect()
}

/// A fresh token of the e2e user (its first session was logged out).
async fn access_after_seed(client: &Client) -> String {
    let login = client.login("e2e@example.com", "a long passphrase").await;
    login["access_token"].as_str().expect("a token").to_owned()
}

/// Reads the audit trail at `path` until it holds `count` records besides
/// the risk the system records ([`decided_trail`]).
async fn trail_of(client: &Client, token: &str, path: &str, count: usize) -> Value {
    poll_until(client, token, path, |page| {
        decided_trail(page).len() >= count
    })
    .await
}

/// [`trail`] without the risk the system records on its own schedule
/// (`approval.risk_scored`), which may fall anywhere among the decisions.
fn decided_trail(page: &Value) -> Vec<(String, String)> {
    trail(page)
        .into_iter()
        .filter(|(action, _)| action != "approval.risk_scored")
        .collect()
}

/// Reads `path` until `done` holds for its answer (the pipeline is
/// asynchronous), and returns the last answer.
async fn poll_until(
    client: &Client,
    token: &str,
    path: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut body = Value::Null;
    for _ in 0..150 {
        let (status, answer) = client
            .send(reqwest::Method::GET, path, Some(token), None)
            .await;
        assert_eq!(status, 200, "{path}: {answer}");
        body = answer;
        if done(&body) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    body
}

#[tokio::test]
async fn identity_and_user_flows_work_over_http_from_a_fresh_start() {
    let (platform, keys_dir) = start().await;
    let client = Client {
        base: format!("http://{}", platform.address),
        http: reqwest::Client::new(),
    };

    let (status, body) = client.send(Method::GET, "/health", None, None).await;
    assert_eq!((status, body["status"].clone()), (200, json!("healthy")));
    let (status, _) = client.send(Method::GET, "/readiness", None, None).await;
    assert_eq!(status, 200);

    let (status, user) = client
        .send(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(
                json!({"email": "e2e@example.com", "password": "a long passphrase", "name": "E2E"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let login = client.login("e2e@example.com", "a long passphrase").await;
    let access = login["access_token"].as_str().unwrap().to_owned();
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();

    let (status, me) = client.get("/api/v1/auth/me", &access).await;
    assert_eq!((status, me["id"].clone()), (200, user["id"].clone()));
    let (status, _) = client.get("/api/v1/users", &access).await;
    assert_eq!(status, 403, "a plain user cannot list users");

    let (status, refreshed) = client
        .send(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let access2 = refreshed["access_token"].as_str().unwrap().to_owned();
    let (status, _) = client
        .send(Method::POST, "/api/v1/auth/logout", Some(&access2), None)
        .await;
    assert_eq!(status, 204);
    let (status, problem) = client.get("/api/v1/auth/me", &access2).await;
    assert_eq!((status, problem["status"].clone()), (401, json!(401)));

    // The demo admin administers users.
    let store = Store::new(platform.dynamodb.clone(), platform.table_name.clone());
    let logins = seed::seed(&store).await.unwrap();
    let admin = logins
        .iter()
        .find(|l| l.email == "admin@example.com")
        .unwrap();
    let login = client
        .login(&admin.email, &admin.password.clone().unwrap())
        .await;
    let admin_token = login["access_token"].as_str().unwrap().to_owned();

    // The seeded workflow is active, so every user sees it.
    let user_token = access_after_seed(&client).await;
    let (status, workflows) = client.get("/api/v1/workflows", &user_token).await;
    assert_eq!(status, 200, "{workflows}");
    assert_eq!(workflows["items"][0]["name"], "Purchase request");
    assert_eq!(workflows["items"][0]["status"], "ACTIVE");
    let (status, page) = client.get("/api/v1/users?limit=2", &admin_token).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (status, next) = client
        .get(
            &format!("/api/v1/users?limit=2&cursor={cursor}"),
            &admin_token,
        )
        .await;
    assert_eq!(status, 200, "{next}");
    assert_eq!(next["items"].as_array().unwrap().len(), 2);
    let id = user["id"].as_str().unwrap();
    let (status, promoted) = client
        .patch(
            &format!("/api/v1/users/{id}"),
            &admin_token,
            json!({"role": "approver"}),
        )
        .await;
    assert_eq!((status, promoted["role"].clone()), (200, json!("approver")));

    // Every change reached the audit log through outbox → stream → router →
    // queue → audit writer, exactly once.
    let audit_table = platform.resources.table_names["AuditTable"].clone();
    let mut actions = Vec::new();
    for _ in 0..150 {
        actions = audit_actions(&platform.dynamodb, &audit_table, id).await;
        if actions.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(actions, ["user.registered", "user.role_changed"]);

    // A path no route matches reaches the API's catch-all: a problem
    // document with the request id, never the gateway's bare message.
    let (status, body) = client.send(Method::GET, "/no/such/route", None, None).await;
    assert_eq!(status, 404);
    assert_eq!(body["detail"], "no route matches GET /no/such/route");
    assert!(body["request_id"].is_string(), "{body}");
    let preflight = client
        .http
        .request(
            Method::OPTIONS,
            format!("{}/api/v1/auth/login", client.base),
        )
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("http://localhost:5173")
    );
    // A browser may read the headers a client needs (template ExposeHeaders).
    let response = client
        .http
        .get(format!("{}/api/v1/health", client.base))
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .unwrap();
    let exposed = response
        .headers()
        .get("access-control-expose-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    for header in ["location", "etag", "x-request-id", "idempotent-replayed"] {
        assert!(exposed.contains(header), "{header} not in {exposed:?}");
    }
    finish(platform, keys_dir).await;
}

#[tokio::test]
async fn an_approval_runs_its_two_steps_over_http_and_lands_in_the_audit_log() {
    let demo = Demo::start().await;
    let client = &demo.client;

    let id = demo.file("Standing desk", 649.0).await;

    let (status, waiting) = client
        .get("/api/v1/approvals?assigned=me", &demo.approver)
        .await;
    assert_eq!(status, 200, "{waiting}");
    assert_eq!(waiting["items"][0]["id"], id.as_str());
    let path = format!("/api/v1/approvals/{id}");
    let (status, team_lead) = client
        .patch(
            &path,
            &demo.approver,
            json!({"status": "APPROVED", "comment": "Fine by me"}),
        )
        .await;
    assert_eq!(status, 200, "{team_lead}");
    assert_eq!(team_lead["current_step"], 1);
    let (status, finance) = client
        .patch(&path, &demo.admin, json!({"status": "APPROVED"}))
        .await;
    assert_eq!(status, 200, "{finance}");
    assert_eq!(finance["status"], "APPROVED");

    // Every transition reached the audit log, in order, exactly once, and
    // the requester reads it through the audit-logs function.
    // (Its risk, recorded by the system at a moment of its own, is left
    // out of the comparison.)
    let path = format!("/api/v1/auditLogs?entity=approval&entity_id={id}");
    let page = trail_of(client, &demo.user, &path, 3).await;
    let decided: Vec<(String, String)> = decided_trail(&page);
    assert_eq!(
        decided,
        [
            ("approval.created".to_owned(), subject(&demo.user)),
            (
                "approval.step_completed".to_owned(),
                subject(&demo.approver)
            ),
            ("approval.approved".to_owned(), subject(&demo.admin)),
        ]
    );
    let approved = page["items"]
        .as_array()
        .and_then(|items| items.iter().find(|r| r["action"] == "approval.approved"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        approved["details"]["status"],
        json!(["PENDING", "APPROVED"])
    );
    demo.finish().await;
}

#[tokio::test]
async fn the_audit_log_is_read_and_appended_over_http() {
    let demo = Demo::start().await;
    let client = &demo.client;

    // The seeded workflow's life so far, through outbox → stream → router →
    // queue → audit writer, read through the audit-logs function.
    let workflow = demo.workflow().await;
    let workflow = workflow.as_str().expect("an id");
    let path = format!("/api/v1/auditLogs?entity=workflow&entity_id={workflow}");
    let page = page_of_at_least(client, &demo.user, &path, 2).await;
    let actions: Vec<&str> = page["items"]
        .as_array()
        .expect("a page")
        .iter()
        .filter_map(|item| item["action"].as_str())
        .collect();
    assert_eq!(actions, ["workflow.activated", "workflow.created"]);

    // A client-side entry becomes a client record of its sender.
    let (status, accepted) = client
        .post(
            "/api/v1/auditLogs",
            &demo.user,
            json!({"action": "report.exported", "entity": "client_report", "entity_id": "r-1",
                        "details": {"format": "csv"}}),
        )
        .await;
    assert_eq!(status, 202, "{accepted}");
    let page = page_of_at_least(
        client,
        &demo.admin,
        "/api/v1/auditLogs?action=client.report.exported",
        1,
    )
    .await;
    let record = &page["items"][0];
    assert_eq!(record["id"], accepted["id"]);
    assert_eq!(record["source"], "client");
    assert_eq!(record["user_id"], subject(&demo.user).as_str());
    assert_eq!(record["details"], json!({"format": "csv"}));

    // Others' actions are not the user's to read; records cannot be changed.
    let (status, _) = client
        .get(
            &format!("/api/v1/auditLogs?user_id={}", subject(&demo.admin)),
            &demo.user,
        )
        .await;
    assert_eq!(status, 403);
    let target = format!(
        "/api/v1/auditLogs/{}",
        accepted["id"].as_str().expect("an id")
    );
    for (method, path) in [
        (Method::DELETE, "/api/v1/auditLogs"),
        (Method::PUT, "/api/v1/auditLogs"),
        (Method::PATCH, target.as_str()),
        (Method::DELETE, target.as_str()),
    ] {
        let (status, body) = client
            .send(method.clone(), path, Some(&demo.admin), Some(json!({})))
            .await;
        // No route: the API's catch-all answers a problem document.
        assert_eq!(status, 404, "{method} {path}");
        assert_eq!(
            body["detail"],
            json!(format!("no route matches {method} {path}")),
            "{method} {path}"
        );
        assert!(body["request_id"].is_string(), "{method} {path}: {body}");
    }
    demo.finish().await;
}

#[tokio::test]
async fn the_demo_rules_act_on_new_requests_through_the_pipeline_and_their_runs_are_listed() {
    let demo = Demo::start().await;
    let client = &demo.client;

    // A small request is approved by the seeded rule, as the system.
    let small = demo.file("Stapler", 12.5).await;
    let approved = poll_until(
        client,
        &demo.user,
        &format!("/api/v1/approvals/{small}"),
        |a| a["status"] == "APPROVED",
    )
    .await;
    assert_eq!(approved["status"], "APPROVED", "{approved}");
    let path = format!("/api/v1/auditLogs?entity=approval&entity_id={small}");
    let page = trail_of(client, &demo.user, &path, 2).await;
    // Its risk is recorded by the system too, at a moment of its own.
    let decided: Vec<(String, String)> = decided_trail(&page);
    assert_eq!(
        decided,
        [
            ("approval.created".to_owned(), subject(&demo.user)),
            ("approval.approved".to_owned(), "system".to_owned())
        ]
    );

    // A large one waits; its rejection is handed on by the other rule.
    let large = demo.file("Forklift", 25_000.0).await;
    let (status, rejected) = client
        .patch(
            &format!("/api/v1/approvals/{large}"),
            &demo.approver,
            json!({"status": "REJECTED", "comment": "Rent one"}),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");

    // The runs list shows what each rule did with each event.
    let runs = page_of_at_least(client, &demo.admin, "/api/v1/automation/runs", 3).await;
    // Events reach the runner in no guaranteed order: compare as a set.
    let mut seen: Vec<(&str, &str, &str)> = runs["items"]
        .as_array()
        .expect("a page")
        .iter()
        .map(|run| {
            (
                run["rule_name"].as_str().unwrap_or_default(),
                run["event_type"].as_str().unwrap_or_default(),
                run["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        [
            (
                "Auto-approve small purchase requests",
                "approval.created",
                "not_matched"
            ),
            (
                "Auto-approve small purchase requests",
                "approval.created",
                "succeeded"
            ),
            ("Notify on rejection", "approval.rejected", "succeeded"),
        ]
    );
    let (status, _) = client.get("/api/v1/automation/runs", &demo.user).await;
    assert_eq!(status, 403);
    demo.finish().await;
}

#[tokio::test]
async fn a_rule_whose_action_fails_is_recorded_failed_with_its_error_and_the_event_is_audited_regardless(
) {
    let demo = Demo::start().await;
    let client = &demo.client;
    let nobody = uuid::Uuid::now_v7().to_string();
    let (status, rule) = client
        .post(
            "/api/v1/rules",
            &demo.admin,
            json!({"name": "Ask a reviewer who left", "trigger": "approval.created",
                "actions": [{"type": "assign", "user_id": nobody},
                            {"type": "log", "message": "reviewer asked"}]}),
        )
        .await;
    assert_eq!(status, 201, "{rule}");
    let id = demo.file("Desk", 400.0).await;

    let path = format!(
        "/api/v1/automation/runs?rule_id={}",
        rule["id"].as_str().unwrap()
    );
    let runs = page_of_at_least(client, &demo.admin, &path, 1).await;
    let run = &runs["items"][0];
    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(run["actions"][0]["status"], "failed");
    assert!(
        run["actions"][0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains(&nobody),
        "{run}"
    );
    assert_eq!(run["actions"][1]["status"], "not_run");
    let trail = page_of_at_least(
        client,
        &demo.user,
        &format!("/api/v1/auditLogs?entity=approval&entity_id={id}"),
        1,
    )
    .await;
    let actions = trail["items"].as_array().expect("a page");
    assert!(
        actions.iter().any(|r| r["action"] == "approval.created"),
        "{trail}"
    );
    let (_, approval) = client
        .get(&format!("/api/v1/approvals/{id}"), &demo.user)
        .await;
    assert_eq!(approval["status"], "PENDING");
    demo.finish().await;
}

#[tokio::test]
async fn a_rejection_reaches_the_local_inbox_signed_once_as_its_event_and_once_as_the_rules_notice()
{
    let demo = Demo::start().await;
    let store = Store::new(
        demo.platform.dynamodb.clone(),
        demo.platform.table_name.clone(),
    );
    let inbox = format!("{}/_inbox", demo.client.base);
    assert!(seed::seed_inbox(&store, &format!("{inbox}/demo"))
        .await
        .unwrap());
    assert!(
        !seed::seed_inbox(&store, &format!("{inbox}/demo"))
            .await
            .unwrap(),
        "seeding again leaves the subscription alone"
    );

    // Over 100, so the demo rule does not approve it; the team lead rejects.
    let id = demo.file("Standing desk", 450.0).await;
    let (status, rejected) = demo
        .client
        .patch(
            &format!("/api/v1/approvals/{id}"),
            &demo.approver,
            json!({"status": "REJECTED", "comment": "Not this quarter"}),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");

    let received = |body: &Value| body["items"].as_array().map_or(0, Vec::len);
    let inbox_now = || async {
        let reply = demo.client.http.get(&inbox).send().await.unwrap();
        reply.json::<Value>().await.unwrap()
    };
    let mut listing = Value::Null;
    for _ in 0..150 {
        listing = inbox_now().await;
        if received(&listing) >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(received(&listing), 2, "{listing}");
    let items = listing["items"].as_array().unwrap();
    let (notices, events): (Vec<&Value>, Vec<&Value>) = items
        .iter()
        .partition(|item| item["body"].get("topic").is_some());
    assert_eq!((notices.len(), events.len()), (1, 1), "{listing}");
    let event = &events[0]["body"];
    assert_eq!(event["event"], "approval.rejected");
    assert_eq!(event["data"]["id"], id.as_str());
    assert_eq!(event["data"]["status"], "REJECTED");
    assert!(event["timestamp"].is_string() && event["id"].is_string());
    assert_eq!(notices[0]["body"]["topic"], "approvals.rejected");
    assert_eq!(notices[0]["body"]["event"], "approval.rejected");
    for item in items {
        assert_eq!(item["signature_verified"], true, "{item}");
        assert_eq!(item["path"], "/_inbox/demo");
    }

    // Exactly once each: nothing more arrives.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let again = inbox_now().await;
    assert_eq!(received(&again), 2, "{again}");
    demo.finish().await;
}

#[tokio::test]
async fn the_stats_dashboard_counts_a_new_item_through_the_pipeline() {
    let demo = Demo::start().await;
    let client = &demo.client;
    // The seeded accounts reach the counters through the stream, the
    // router, the stats queue and the aggregator.
    let seeded = poll_until(client, &demo.admin, "/api/v1/stats", |stats| {
        stats["users"]["total"].as_i64() >= Some(3)
    })
    .await;
    assert_eq!(seeded["users"]["by_role"]["approver"], 1, "{seeded}");
    let before = seeded["items"]["total"].as_i64().unwrap_or_default();

    let (status, item) = client
        .post(
            "/api/v1/items",
            &demo.user,
            json!({"name": "Build runner", "status": "active"}),
        )
        .await;
    assert_eq!(status, 201, "{item}");
    let counted = poll_until(client, &demo.admin, "/api/v1/stats", |stats| {
        stats["items"]["total"].as_i64() == Some(before + 1)
    })
    .await;
    assert_eq!(
        counted["items"]["total"].as_i64(),
        Some(before + 1),
        "{counted}"
    );
    assert_eq!(
        counted["items"]["created_last_24h"].as_i64(),
        Some(before + 1)
    );
    let (status, _) = client.get("/api/v1/stats", &demo.user).await;
    assert_eq!(status, 403);
    demo.finish().await;
}

/// Job `id` once it has finished (or as it stands after the wait).
async fn finished_job(client: &Client, admin: &str, id: &str) -> Value {
    poll_until(client, admin, &format!("/api/v1/jobs/{id}"), |job| {
        ["completed", "failed", "cancelled"].contains(&job["status"].as_str().unwrap_or_default())
    })
    .await
}

/// Queues a job as `admin`; its id.
async fn queue(client: &Client, admin: &str, body: Value) -> String {
    let (status, job) = client.post("/api/v1/jobs", admin, body).await;
    assert_eq!(status, 201, "{job}");
    assert_eq!(job["status"], "queued");
    job["id"]
        .as_str()
        .expect("as the API documents it")
        .to_owned()
}

#[tokio::test]
async fn every_job_type_runs_from_a_request_through_the_outbox_router_and_worker() {
    let demo = Demo::start().await;
    let client = &demo.client;
    let admin = demo.admin.as_str();
    for (name, status) in [
        ("e2e-alpha", "active"),
        ("e2e-beta", "active"),
        ("e2e-gamma", "archived"),
    ] {
        let (code, item) = client
            .post(
                "/api/v1/items",
                &demo.user,
                json!({"name": name, "status": status}),
            )
            .await;
        assert_eq!(code, 201, "{item}");
    }

    // A report: in the bucket, and its presigned link downloads it.
    let report = queue(
        client,
        admin,
        json!({"type": "generate-report", "data": {"report": "items"}}),
    )
    .await;
    let job = finished_job(client, admin, &report).await;
    assert_eq!(job["status"], "completed", "{job}");
    let (status, link) = client
        .get(&format!("/api/v1/jobs/{report}/download"), admin)
        .await;
    assert_eq!(status, 200, "{link}");
    let csv = reqwest::get(link["url"].as_str().expect("as the API documents it"))
        .await
        .expect("as the API documents it")
        .text()
        .await
        .expect("as the API documents it");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(
        rows.len() as u64,
        job["result"]["rows"]
            .as_u64()
            .expect("as the API documents it"),
        "{csv}"
    );
    for name in ["e2e-alpha", "e2e-beta", "e2e-gamma"] {
        assert!(rows.iter().any(|row| row.contains(name)), "{name} in {csv}");
    }

    // A report of the approvals filed since a moment ago, as JSON.
    let since = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let filed = demo.file("e2e laptop", 1200.0).await;
    let since = since
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a time");
    let approvals = queue(
        client,
        admin,
        json!({"type": "generate-report", "data": {"report": "approvals", "status": "PENDING", "from": since, "format": "json"}}),
    )
    .await;
    let job = finished_job(client, admin, &approvals).await;
    assert_eq!(job["result"]["rows"], 1, "{job}");
    let (_, link) = client
        .get(&format!("/api/v1/jobs/{approvals}/download"), admin)
        .await;
    let rows: Value = reqwest::get(link["url"].as_str().expect("a link"))
        .await
        .expect("the link answers")
        .json()
        .await
        .expect("a JSON report");
    assert_eq!(rows[0]["id"], filed.as_str(), "{rows}");
    assert_eq!(rows[0]["status"], "PENDING");

    // An e-mail, at high priority: recorded by moto's SES, shown by /_mail.
    let subject = format!("Deploy window {report}");
    let mail = queue(
        client,
        admin,
        json!({"type": "send-notification", "priority": 9, "data": {"to": ["oncall@example.com"], "subject": subject, "text": "Tonight."}}),
    )
    .await;
    assert_eq!(
        finished_job(client, admin, &mail).await["status"],
        "completed"
    );
    let sent: Value = reqwest::get(format!("{}/_mail?to=oncall@example.com", client.base))
        .await
        .expect("as the API documents it")
        .json()
        .await
        .expect("as the API documents it");
    assert!(
        sent["messages"]
            .as_array()
            .expect("as the API documents it")
            .iter()
            .any(|m| m["subject"] == subject.as_str()),
        "{sent}"
    );

    // A bulk change of exactly the matching items, and a cleanup.
    let process = queue(
        client,
        admin,
        json!({"type": "process-data", "data": {"search": "e2e-", "status": "active", "merge_metadata": {"patched": true}}}),
    )
    .await;
    let processed = finished_job(client, admin, &process).await;
    assert_eq!(
        processed["result"],
        json!({"matched": 2, "changed": 2}),
        "{processed}"
    );
    let cleanup = queue(
        client,
        admin,
        json!({"type": "cleanup", "data": {"older_than_days": 1}}),
    )
    .await;
    let cleaned = finished_job(client, admin, &cleanup).await;
    assert_eq!(
        cleaned["result"],
        json!({"items_removed": 0, "jobs_removed": 0}),
        "{cleaned}"
    );

    // A delayed job waits in its queue, then runs.
    let delayed = queue(
        client,
        admin,
        json!({"type": "cleanup", "delay_seconds": 2, "data": {"targets": ["jobs"]}}),
    )
    .await;
    let (_, waiting) = client.get(&format!("/api/v1/jobs/{delayed}"), admin).await;
    assert_eq!(waiting["status"], "queued");
    let ran = finished_job(client, admin, &delayed).await;
    assert_eq!(ran["status"], "completed", "{ran}");
    let (started, due) = (
        ran["started_at"].as_str().expect("as the API documents it"),
        ran["run_at"].as_str().expect("as the API documents it"),
    );
    assert!(started >= due, "started {started} before it was due {due}");

    // A rule's enqueue_job makes the same kind of job, which runs too.
    let (status, rule) = client
        .post(
            "/api/v1/rules",
            admin,
            json!({"name": "Report new items", "trigger": "item.created",
                   "actions": [{"type": "enqueue_job", "job_type": "generate-report", "payload": {"report": "items", "format": "json"}}]}),
        )
        .await;
    assert_eq!(status, 201, "{rule}");
    let (status, _) = client
        .post("/api/v1/items", &demo.user, json!({"name": "e2e-delta"}))
        .await;
    assert_eq!(status, 201);
    let by_rule = format!(
        "rule:{}",
        rule["id"].as_str().expect("as the API documents it")
    );
    let listed = poll_until(
        client,
        admin,
        "/api/v1/jobs?type=generate-report&status=completed",
        |page| {
            page["items"]
                .as_array()
                .expect("as the API documents it")
                .iter()
                .any(|job| job["created_by"] == by_rule.as_str())
        },
    )
    .await;
    let made = listed["items"]
        .as_array()
        .expect("as the API documents it")
        .iter()
        .find(|job| job["created_by"] == by_rule.as_str());
    assert_eq!(
        made.expect("the rule's job ran")["result"]["format"],
        "json"
    );

    // The dashboard counts all seven once their events have come through
    // the pipeline (a job's `started` may be counted before its
    // `completed`).
    let settled = |stats: &Value| {
        stats["jobs"]["by_status"]["completed"].as_i64() == Some(7)
            && stats["jobs"]["by_status"]["running"].as_i64().unwrap_or(0) == 0
    };
    let stats = poll_until(client, admin, "/api/v1/stats", settled).await;
    assert_eq!(
        stats["jobs"]["by_status"]["completed"].as_i64(),
        Some(7),
        "{stats}"
    );
    assert_eq!(
        stats["jobs"]["by_status"]["running"].as_i64().unwrap_or(0),
        0,
        "{stats}"
    );
    demo.finish().await;
}

#[tokio::test]
async fn the_demo_inventory_is_seeded_and_its_stock_moves_over_http() {
    let demo = Demo::start().await;
    let client = &demo.client;
    let (status, low) = client.get("/api/v1/inventory/low-stock", &demo.user).await;
    assert_eq!(status, 200, "{low}");
    assert_eq!(low["items"][0]["sku"], "MONITOR-27", "{low}");
    let (status, moved) = client
        .post(
            "/api/v1/inventory/desk-120/adjust",
            &demo.admin,
            json!({"delta": -25, "reason": "Office fit-out"}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["quantity"], 15);
    assert_eq!(moved["low_stock"], true);
    let (_, low) = client.get("/api/v1/inventory/low-stock", &demo.user).await;
    let codes: Vec<&str> = low["items"]
        .as_array()
        .expect("a page")
        .iter()
        .filter_map(|s| s["sku"].as_str())
        .collect();
    assert_eq!(codes, ["DESK-120", "MONITOR-27"]);
    let (status, _) = client
        .post(
            "/api/v1/inventory/desk-120/adjust",
            &demo.user,
            json!({"delta": 1, "reason": "Mine"}),
        )
        .await;
    assert_eq!(status, 403);
    demo.finish().await;
}

#[tokio::test]
async fn an_order_is_placed_shipped_and_cancelled_over_http_with_its_timeline() {
    let demo = Demo::start().await;
    let client = &demo.client;
    let (status, order) = client
        .post(
            "/api/v1/orders",
            &demo.user,
            json!({"items": [{"sku": "DESK-120", "quantity": 2}, {"sku": "CABLE-USBC", "quantity": 4}]}),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["total"], 2 * 45_000 + 4 * 1_500);
    let id = order["id"].as_str().expect("an id").to_owned();
    let (_, desk) = client.get("/api/v1/inventory/DESK-120", &demo.user).await;
    assert_eq!(desk["quantity"], 38);
    for status in ["processing", "shipped", "cancelled"] {
        let (code, moved) = client
            .patch(
                &format!("/api/v1/orders/{id}"),
                &demo.admin,
                json!({"status": status}),
            )
            .await;
        assert_eq!(code, 200, "{moved}");
    }
    let (_, desk) = client.get("/api/v1/inventory/DESK-120", &demo.user).await;
    assert_eq!(desk["quantity"], 40, "cancelling gave the stock back");
    let (status, timeline) = client
        .get(&format!("/api/v1/orders/{id}/timeline"), &demo.user)
        .await;
    assert_eq!(status, 200, "{timeline}");
    let kinds: Vec<&str> = timeline["items"]
        .as_array()
        .expect("a page")
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "status_changed",
            "status_changed",
            "status_changed"
        ]
    );
    let (status, _) = client
        .get(&format!("/api/v1/orders/{id}"), &demo.approver)
        .await;
    assert_eq!(status, 404, "another user's order");

    // The analytics count it as cancelled once its events have come
    // through the pipeline, and the SKUs low on stock as the list shows.
    let cancelled = |analytics: &Value| analytics["by_status"]["cancelled"]["orders"] == 1;
    let analytics = poll_until(client, &demo.admin, "/api/v1/orders/analytics", cancelled).await;
    assert_eq!(analytics["orders"], 1, "{analytics}");
    assert_eq!(analytics["revenue"], 0, "a cancelled order earns nothing");
    assert_eq!(
        analytics["by_status"]["cancelled"]["revenue"],
        order["total"]
    );
    let (_, low) = client.get("/api/v1/inventory/low-stock", &demo.admin).await;
    let low = low["items"].as_array().expect("a page").len();
    assert_eq!(analytics["low_stock"], low);
    demo.finish().await;
}

#[tokio::test]
async fn a_rule_holds_a_large_order_until_its_approval_is_approved() {
    let demo = Demo::start().await;
    let client = &demo.client;
    let workflow = demo.workflow().await;
    let rules = [
        json!({"name": "Hold large orders", "trigger": "order.created",
               "conditions": {"path": "data.total", "op": "gt", "value": 100_000},
               "actions": [{"type": "hold_order", "reason": "Over 1,000.00", "workflow_id": workflow}]}),
        json!({"name": "Release approved orders", "trigger": "approval.approved",
               "conditions": {"all": [
                   {"path": "data.status", "op": "eq", "value": "APPROVED"},
                   {"path": "data.payload.order_id", "op": "exists", "value": true}]},
               "actions": [{"type": "release_order"}]}),
    ];
    for rule in rules {
        let (status, made) = client.post("/api/v1/rules", &demo.admin, rule).await;
        assert_eq!(status, 201, "{made}");
    }
    let (status, order) = client
        .post(
            "/api/v1/orders",
            &demo.user,
            json!({"items": [{"sku": "DESK-120", "quantity": 3}]}),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    let path = format!("/api/v1/orders/{}", order["id"].as_str().expect("an id"));
    let held = poll_until(client, &demo.user, &path, |o| o["hold"].is_object()).await;
    let approval = held["hold"]["approval_id"]
        .as_str()
        .expect("held")
        .to_owned();
    let (status, refused) = client
        .patch(&path, &demo.admin, json!({"status": "processing"}))
        .await;
    assert_eq!(status, 409, "held: {refused}");

    // The request is the buyer's, on the seeded two-step workflow: the
    // team lead's approval leaves it pending (the order stays held), the
    // finance admin's approves it.
    let (status, request) = client
        .get(&format!("/api/v1/approvals/{approval}"), &demo.user)
        .await;
    assert_eq!(status, 200, "{request}");
    assert_eq!(request["payload"]["order_id"], order["id"]);
    for who in [&demo.approver, &demo.admin] {
        let (status, decided) = client
            .patch(
                &format!("/api/v1/approvals/{approval}"),
                who,
                json!({"status": "APPROVED", "comment": "Budgeted"}),
            )
            .await;
        assert_eq!(status, 200, "{decided}");
        if decided["status"] == "PENDING" {
            let (_, still) = client.get(&path, &demo.user).await;
            assert!(still["hold"].is_object(), "{still}");
        }
    }
    let released = poll_until(client, &demo.user, &path, |o| o["hold"].is_null()).await;
    assert!(released["hold"].is_null(), "{released}");
    let (status, moved) = client
        .patch(&path, &demo.admin, json!({"status": "processing"}))
        .await;
    assert_eq!(status, 200, "{moved}");
    demo.finish().await;
}

#[tokio::test]
async fn the_demo_auditor_reads_everything_and_changes_nothing() {
    let demo = Demo::start().await;
    let client = &demo.client;
    let id = demo.file("Auditable", 250.0).await;
    let (status, approval) = client
        .get(&format!("/api/v1/approvals/{id}"), &demo.auditor)
        .await;
    assert_eq!(status, 200, "{approval}");
    let (status, rules) = client.get("/api/v1/rules", &demo.auditor).await;
    assert_eq!(status, 200, "{rules}");
    assert!(!rules["items"].as_array().expect("a page").is_empty());
    // The user's filing reaches the audit log, which the auditor reads.
    let path = format!("/api/v1/auditLogs?entity=approval&entity_id={id}");
    let trail = poll_until(client, &demo.auditor, &path, |page| {
        page["items"]
            .as_array()
            .is_some_and(|items| !items.is_empty())
    })
    .await;
    let record = trail["items"][0]["id"]
        .as_str()
        .expect("a record")
        .to_owned();
    let (status, _) = client
        .get(&format!("/api/v1/auditLogs/{record}"), &demo.auditor)
        .await;
    assert_eq!(status, 200);
    let workflow = demo.workflow().await;
    let (status, _) = client
        .post(
            "/api/v1/approvals",
            &demo.auditor,
            json!({"workflow_id": workflow, "title": "Mine"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = client
        .patch(
            &format!("/api/v1/approvals/{id}"),
            &demo.auditor,
            json!({"status": "APPROVED", "reason": "Looks right"}),
        )
        .await;
    assert_eq!(status, 403);
    demo.finish().await;
}
