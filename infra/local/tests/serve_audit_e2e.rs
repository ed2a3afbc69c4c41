//! End to end through `serve`: the audit log over real HTTP, from a fresh
//! start on the emulators. The seeded workflow's events and a client's own
//! entry travel outbox → stream → router → queue → audit writer and are
//! read back through the `audit-logs` function; the gateway routes nothing
//! that could change a record. (A test binary of its own: two platforms in
//! one process would share DynamoDB Local's stream shards.)

use opsflow_local::platform::{Platform, PlatformOptions};
use opsflow_local::seed;
use opsflow_shared::domain::Role;
use opsflow_shared::store::Store;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

async fn start() -> (Platform, PathBuf) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut options = PlatformOptions::from_env();
    options.template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    options
        .parameters
        .insert("Environment".into(), format!("e2e-{}", &id[..8]));
    options.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    options.binaries_dir = Path::new(env!("CARGO_BIN_EXE_lambda-probe"))
        .parent()
        .expect("a target directory")
        .to_path_buf();
    let keys_dir = std::env::temp_dir().join(format!("opsflow-e2e-keys-{id}"));
    options.keys_dir = keys_dir.clone();
    options.print_logs = std::env::var("E2E_LOGS").is_ok();
    let platform = Platform::start(options)
        .await
        .expect("the platform starts (emulators up, `cargo build --workspace --bins` done)");
    (platform, keys_dir)
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
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
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// Logs a seeded demo account in and returns its access token and user.
async fn demo_login(client: &Client, login: &seed::DemoLogin) -> (String, Value) {
    let password = login.password.clone().expect("a fresh demo account");
    let (status, body) = client
        .send(
            reqwest::Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": login.email, "password": password})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().expect("a token").to_owned();
    (token, body["user"].clone())
}

/// Reads `path` until it lists at least `count` records (the pipeline
/// is asynchronous), and returns the last answer.
async fn audit_page(client: &Client, token: &str, path: &str, count: usize) -> Value {
    let mut page = Value::Null;
    for _ in 0..150 {
        let (status, body) = client
            .send(reqwest::Method::GET, path, Some(token), None)
            .await;
        assert_eq!(status, 200, "{path}: {body}");
        page = body;
        if page["items"].as_array().map(Vec::len) >= Some(count) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    page
}

#[tokio::test]
async fn the_audit_log_is_read_and_appended_over_http() {
    use reqwest::Method;
    let (platform, keys_dir) = start().await;
    let client = Client {
        base: format!("http://{}", platform.address),
        http: reqwest::Client::new(),
    };
    let store = Store::new(platform.dynamodb.clone(), platform.table_name.clone());
    let logins = seed::seed(&store).await.unwrap();
    let login = |role| logins.iter().find(|l| l.role == role).unwrap();
    let (admin, admin_account) = demo_login(&client, login(Role::Admin)).await;
    let (user, user_account) = demo_login(&client, login(Role::User)).await;

    // The seeded workflow's life so far, through outbox → stream → router →
    // queue → audit writer, read through the audit-logs function.
    let (_, workflows) = client
        .send(Method::GET, "/workflows", Some(&user), None)
        .await;
    let workflow = workflows["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/auditLogs?entity=workflow&entity_id={workflow}");
    let page = audit_page(&client, &user, &path, 2).await;
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["action"].as_str())
        .collect();
    assert_eq!(actions, ["workflow.activated", "workflow.created"]);

    // A client-side entry becomes a client record of its sender.
    let (status, accepted) = client
        .send(
            Method::POST,
            "/auditLogs",
            Some(&user),
            Some(
                json!({"action": "report.exported", "entity": "report", "entity_id": "r-1",
                        "details": {"format": "csv"}}),
            ),
        )
        .await;
    assert_eq!(status, 202, "{accepted}");
    let page = audit_page(
        &client,
        &admin,
        "/auditLogs?action=client.report.exported",
        1,
    )
    .await;
    let record = &page["items"][0];
    assert_eq!(record["id"], accepted["id"]);
    assert_eq!(record["source"], "client");
    assert_eq!(record["user_id"], user_account["id"]);
    assert_eq!(record["details"], json!({"format": "csv"}));

    // Others' actions are not the user's to read; records cannot be changed.
    let (status, _) = client
        .send(
            Method::GET,
            &format!(
                "/auditLogs?user_id={}",
                admin_account["id"].as_str().unwrap()
            ),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let target = format!("/auditLogs/{}", accepted["id"].as_str().unwrap());
    for (method, path) in [
        (Method::DELETE, "/auditLogs"),
        (Method::PUT, "/auditLogs"),
        (Method::PATCH, target.as_str()),
        (Method::DELETE, target.as_str()),
    ] {
        let (status, body) = client
            .send(method.clone(), path, Some(&admin), Some(json!({})))
            .await;
        assert_eq!(
            (status, body),
            (404, json!({"message": "Not Found"})),
            "{method} {path}"
        );
    }
    platform.stop().await;
    let _ = std::fs::remove_dir_all(keys_dir);
}
