//! The test harness every crate's integration tests share (feature
//! `testkit`): every test gets its own uniquely named table on DynamoDB
//! Local (`AWS_ENDPOINT_URL_DYNAMODB`, default `http://127.0.0.1:8000`;
//! `make test` starts it), deleted when the test ends, its own freshly
//! generated signing keys, and apps configured as the template configures
//! them. Requests are the recorded API Gateway events of `events/`, edited
//! per case, sent to the handlers a test binary [serves](TestEnv::serve):
//! the kernel knows no module, so each crate's tests plug in the functions
//! they call.

#![allow(clippy::unwrap_used)]

// Named by path: the platform's own tests include this file by path too.
#[path = "testkit/call.rs"]
mod call;
#[path = "testkit/contract.rs"]
pub mod contract;
#[path = "testkit/queues.rs"]
pub mod queues;
#[path = "testkit/rbac.rs"]
pub mod rbac;
#[path = "testkit/setup.rs"]
mod setup;
#[path = "testkit/tables.rs"]
mod tables;

pub use call::{page_column, Call, Reply};
pub use setup::{Serve, Setup};
pub use tables::{fresh_table, item_type, scan, Item, EMULATOR_DOWN};

use futures::future::BoxFuture;
use lambda_http::{Body, Response};

use lambda_http::Request;
use opsflow_platform::api::Context;
use opsflow_platform::auth::keys::{self, KeyPairPem};
use opsflow_platform::config::Config;
use opsflow_platform::domain::{EntityId, Role};
use opsflow_platform::store::schema;
use opsflow_platform::{Api, App};
use serde_json::{json, Value};
use std::collections::HashMap;

pub const PASSWORD: &str = "correct horse battery staple";

pub async fn sdk_config() -> aws_config::SdkConfig {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .unwrap_or_else(|_| "http://127.0.0.1:8000".to_owned());
    opsflow_platform::store::emulator_sdk_config(&endpoint, "us-east-1").await
}

/// A function's handler as a test calls it.
pub type Handler = Box<dyn Fn(Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;

/// How a test binary sets a user's role directly in the store (the
/// arrangement of [`TestEnv::account`], not the behaviour under test).
pub type SetRole = for<'a> fn(&'a App, EntityId, Role) -> BoxFuture<'a, ()>;

/// How a test binary makes signed-in accounts and starts sessions through
/// the identity module's services, its one test password hashed once for
/// all (the arrangement of [`TestEnv::account`] and [`TestEnv::sign_in`],
/// not the behaviour under test: registration and login have tests of
/// their own, through the API).
pub trait Accounts: Send + Sync {
    /// A new account (name, role), signed in.
    fn make<'a>(&'a self, name: &'a str, role: Role) -> BoxFuture<'a, Account>;
    /// A new session of user `id`, with the role the store holds now.
    fn sign_in<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Tokens>;
}

pub struct TestEnv {
    /// The test's app: its store (roles are set through it).
    pub auth: &'static App,
    /// The context of every API function without a context of its own: it
    /// verifies tokens and signs cursors.
    pub users: &'static Api,
    pub health: &'static App,
    pub keys: KeyPairPem,
    pub vars: HashMap<String, String>,
    pub table: String,
    pub sdk: aws_config::SdkConfig,
    client: aws_sdk_dynamodb::Client,
    functions: HashMap<&'static str, Handler>,
    set_role: Option<SetRole>,
    accounts: Option<Box<dyn Accounts>>,
    /// The modules' `register` functions applied to every app built
    /// after they are added (as the consumer functions' mains do).
    registered: Vec<fn(&mut opsflow_platform::registry::Registry)>,
}

impl TestEnv {
    pub async fn new() -> Self {
        Self::with_vars(|_| {}).await
    }

    /// A fresh table and apps; `tweak` may change the environment first.
    pub async fn with_vars(tweak: impl FnOnce(&mut HashMap<String, String>)) -> Self {
        let (sdk, client, table) = fresh_table("opsflow-test").await;
        // No test here reads the stream (the pipeline tests feed the router
        // recorded stream events), and a stream slows DynamoDB Local down.
        schema::create_entity_table_without_stream(&client, &table)
            .await
            .expect(EMULATOR_DOWN);
        let keys = keys::generate_ed25519().unwrap();
        let mut vars: HashMap<String, String> = [
            ("TABLE_NAME", table.as_str()),
            ("ENVIRONMENT", "test"),
            ("JWT_ALGORITHM", "EdDSA"),
            ("JWT_PUBLIC_KEY", keys.public_pem.as_str()),
            ("JWT_PRIVATE_KEY", keys.private_pem.as_str()),
            ("JWT_ISSUER", "opsflow-test"),
            ("JWT_AUDIENCE", "opsflow-api"),
            ("CURSOR_SECRET", &"c".repeat(48)),
            ("CORS_ORIGINS", "http://localhost:5173"),
            (
                "WEBHOOKS_QUEUE_URL",
                "http://127.0.0.1:5000/123456789012/opsflow-test-no-webhooks-queue",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        tweak(&mut vars);
        let app = || App::new(Config::from_vars(&vars).unwrap(), &sdk);
        // Apps live as long as the test process, like a function's.
        let auth: &'static App = Box::leak(Box::new(app()));
        let users: &'static Api = Box::leak(Box::new(Api::new(app()).unwrap()));
        let health: &'static App = Box::leak(Box::new(app()));
        // The probes are the kernel's own function.
        let mut functions: HashMap<&'static str, Handler> = HashMap::new();
        functions.insert(
            "health",
            Box::new(move |req| Box::pin(opsflow_platform::api::health::handle(health, req))),
        );
        Self {
            auth,
            users,
            health,
            keys,
            vars,
            table,
            sdk,
            client,
            functions,
            set_role: None,
            accounts: None,
            registered: Vec::new(),
        }
    }

    /// Routes calls to `function` (the fixture folder's name) to `handler`.
    pub fn serve(&mut self, function: &'static str, handler: Handler) -> &mut Self {
        self.functions.insert(function, handler);
        self
    }

    /// Registers a module's entity kinds (its `register` function) in the
    /// apps built from now on.
    pub fn register_module(
        &mut self,
        register: fn(&mut opsflow_platform::registry::Registry),
    ) -> &mut Self {
        self.registered.push(register);
        self
    }

    /// How [`account`](Self::account) sets roles other than `user`.
    pub fn with_role_setter(&mut self, set_role: SetRole) -> &mut Self {
        self.set_role = Some(set_role);
        self
    }

    /// How [`account`](Self::account) and [`sign_in`](Self::sign_in) make
    /// accounts and sessions, instead of registering and logging in
    /// through the API.
    pub fn with_accounts(&mut self, accounts: Box<dyn Accounts>) -> &mut Self {
        self.accounts = Some(accounts);
        self
    }

    /// A function's context (`C::build`) over this test's environment and
    /// the modules registered so far, kept for the life of the process,
    /// like a function's.
    pub async fn context<C: Context>(&self) -> &'static C {
        let context = C::build(self.owned_app(), &self.sdk).await;
        Box::leak(Box::new(context.expect("the function's context builds")))
    }

    /// An app over this test's environment and the modules registered so
    /// far.
    pub fn owned_app(&self) -> App {
        let config = Config::from_vars(&self.vars).unwrap();
        App::new(config, &self.sdk).with_registry(&self.registered)
    }

    /// Sends a request to the function its fixture belongs to.
    pub async fn call(&self, call: Call) -> Reply {
        Reply::from(self.dispatch(call.function(), call.request()).await)
    }

    /// Sends `request` to the handler served for `function`.
    pub async fn dispatch(&self, function: &str, request: Request) -> Response<Body> {
        let handler = self
            .functions
            .get(function)
            .unwrap_or_else(|| panic!("this test binary serves no function {function}"));
        handler(request).await
    }

    pub async fn register(&self, name: &str) -> (String, String) {
        let email = format!("{name}-{}@example.com", EntityId::new());
        let reply = self
            .call(
                Call::new("auth/register")
                    .token(None)
                    .ip(&format!("198.51.100.{}", rand_octet()))
                    .body(json!({
                        "email": email, "password": PASSWORD, "name": name,
                    })),
            )
            .await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        (reply.body["id"].as_str().unwrap().to_owned(), email)
    }

    pub async fn login(&self, email: &str) -> Tokens {
        let reply = self
            .call(
                Call::new("auth/login")
                    .body(json!({"email": email, "password": PASSWORD}))
                    .ip(&format!("198.51.100.{}", rand_octet())),
            )
            .await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        Tokens {
            access: reply.body["access_token"].as_str().unwrap().to_owned(),
            refresh: reply.body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// A registered, logged-in account with `role`: made by the test
    /// binary's account maker when it has one, else registered and logged
    /// in through the API with the role set directly in the store (either
    /// way the arrangement, not the behaviour under test).
    pub async fn account(&self, name: &str, role: Role) -> Account {
        if let Some(accounts) = &self.accounts {
            return accounts.make(name, role).await;
        }
        let (id, email) = self.register(name).await;
        if role != Role::User {
            self.set_role(&id, role).await;
        }
        let tokens = self.login(&email).await;
        Account {
            id,
            email,
            role,
            tokens,
        }
    }

    /// A new session of `account`: started by the test binary's
    /// [`Accounts`] when it has them, else a login through the API.
    pub async fn sign_in(&self, account: &Account) -> Tokens {
        match &self.accounts {
            Some(accounts) => accounts.sign_in(&account.id).await,
            None => self.login(&account.email).await,
        }
    }

    /// Sends a create and returns the new resource's id (201 expected).
    pub async fn create(&self, call: Call) -> String {
        let reply = self.call(call).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// Activates the draft workflow `id` as `admin`.
    pub async fn activate_workflow(&self, admin: &Account, id: &str) {
        self.set_workflow_status(admin, id, "ACTIVE").await;
    }

    /// Moves the workflow `id` to `status` as `admin` (200 expected).
    pub async fn set_workflow_status(&self, admin: &Account, id: &str, status: &str) {
        let changed = self
            .call(
                Call::new("workflows/patch")
                    .resource_id("workflows", id)
                    .by(admin)
                    .body(json!({ "status": status })),
            )
            .await;
        assert_eq!(changed.status, 200, "{}", changed.body);
    }

    /// An active one-step workflow (`Review`, one approver of the
    /// `approver` role) made by `admin`; its id.
    pub async fn active_workflow(&self, admin: &Account, name: &str) -> String {
        let id = self
            .create(Call::new("workflows/create").by(admin).body(json!({
                "name": name,
                "steps": [{"name": "Review", "approver_role": "approver", "required_approvals": 1}],
            })))
            .await;
        self.activate_workflow(admin, &id).await;
        id
    }

    /// Files a request titled `title` on `workflow` as `who`; its id.
    pub async fn file_approval(&self, who: &Account, workflow: &str, title: &str) -> String {
        self.create(filing(who, workflow, title)).await
    }

    pub async fn set_role(&self, id: &str, role: Role) {
        let set_role = self
            .set_role
            .expect("this test binary sets no roles (TestEnv::with_role_setter)");
        set_role(self.auth, EntityId::parse(id).unwrap(), role).await;
    }

    /// The `audit-logs` function's app, configured as the template
    /// configures it, on a fresh audit table of its own; with the table's
    /// name (the caller removes it).
    pub async fn audit_logs_app(&self) -> (App, String) {
        let (sdk, client, table) = fresh_table("opsflow-audit-test").await;
        schema::create_audit_table(&client, &table)
            .await
            .expect(EMULATOR_DOWN);
        let mut vars = self.vars.clone();
        vars.insert("AUDIT_TABLE_NAME".into(), table.clone());
        let config = Config::from_vars(&vars).expect("the audit-logs configuration");
        let app = App::new(config, &sdk).with_registry(&self.registered);
        (app, table)
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        delete_table_now(self.table.clone());
    }
}

/// Deletes a test's table from a `Drop`, which cannot await: from a
/// short-lived runtime on a thread of its own, with a client of its own
/// (connections belong to their runtime).
pub fn delete_table_now(table: String) {
    let _ = std::thread::spawn(move || {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            runtime.block_on(async {
                let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
                let _ = schema::delete_table(&client, &table).await;
            });
        }
    })
    .join();
}

/// A recorded event of `events/` (`<function>/<case>`), as JSON.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/../../events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// `POST /api/v1/approvals` as `who`: a request titled `title` on `workflow`.
pub fn filing(who: &Account, workflow: &str, title: &str) -> Call {
    Call::new("approvals/create")
        .by(who)
        .body(json!({"workflow_id": workflow, "title": title}))
}

fn rand_octet() -> u8 {
    (EntityId::new().to_string().as_bytes()[35] % 200) + 1
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub tokens: Tokens,
}
