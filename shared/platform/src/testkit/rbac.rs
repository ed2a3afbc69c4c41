//! The RBAC matrix: every route × every kind of caller → the status the
//! caller gets. Each module's tests hold the rows of the functions it owns
//! (`FUNCTIONS`), and [`Matrix::check`] fails while a route of those
//! functions in `template.yaml` has no row, or a row names a route the
//! template does not give them. (`infra/local`'s template tests check that
//! every function with routes is owned by exactly one module's matrix.)

use super::{Account, Call, Reply, TestEnv};
use opsflow_platform::domain::Role;
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

/// The kinds of caller, in the order of a row's statuses: no token, a
/// `user`, an `approver`, the `owner` of what the row touches (a user),
/// an `admin` and an `auditor`.
pub const CALLERS: [&str; 6] = ["anonymous", "user", "approver", "owner", "admin", "auditor"];

/// A route (`METHOD /path`, then any words saying which case), how to
/// build its request, and the status for each of [`CALLERS`].
pub type Row<'a> = (&'static str, Box<dyn Fn() -> Call + 'a>, [u16; 6]);

/// A row of the matrix: the status each of [`CALLERS`] gets, `route`
/// (with any words saying which case), and how to build its request.
pub fn row<'a>(
    statuses: [u16; 6],
    route: &'static str,
    request: impl Fn() -> Call + 'a,
) -> Row<'a> {
    (route, Box::new(request), statuses)
}

/// The signed-in kinds of caller of [`CALLERS`], each a fresh account.
pub struct Callers {
    pub user: Account,
    pub approver: Account,
    /// A `user`: the account whose own things the rows touch.
    pub owner: Account,
    pub admin: Account,
    pub auditor: Account,
}

impl Callers {
    /// Registers and signs in one account of each kind.
    pub async fn sign_up(env: &TestEnv) -> Self {
        let user = env.account("user", Role::User).await;
        let approver = env.account("approver", Role::Approver).await;
        let admin = env.account("admin", Role::Admin).await;
        let owner = env.account("owner", Role::User).await;
        let auditor = env.account("auditor", Role::Auditor).await;
        Self {
            user,
            approver,
            owner,
            admin,
            auditor,
        }
    }

    /// The account of each of [`CALLERS`] (`None` for `anonymous`).
    pub fn accounts(&self) -> [Option<Account>; 6] {
        let Self {
            user,
            approver,
            owner,
            admin,
            auditor,
        } = self;
        [
            None,
            Some(user.clone()),
            Some(approver.clone()),
            Some(owner.clone()),
            Some(admin.clone()),
            Some(auditor.clone()),
        ]
    }
}

/// Sends a row's request as it is; the matrix has already added the
/// caller's token. For functions a test reaches other than through
/// [`TestEnv::call`].
pub type Send<'a> = Box<dyn Fn(Call) -> Pin<Box<dyn Future<Output = Reply> + 'a>> + 'a>;

/// The routes of the template's functions whose binaries are `functions`.
pub fn template_routes(functions: &[&str]) -> BTreeSet<String> {
    routes_where(|binary| functions.contains(&binary))
}

/// Every route of the template (`$default` included), of every function.
pub fn every_template_route() -> BTreeSet<String> {
    routes_where(|_| true)
}

fn routes_where(serves: impl Fn(&str) -> bool) -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    let text = std::fs::read_to_string(path).expect("template.yaml");
    let root: yaml_serde::Value = yaml_serde::from_str(&text).expect("template.yaml is YAML");
    let resources = root["Resources"].as_mapping().expect("Resources");
    let mut routes = BTreeSet::new();
    for resource in resources.values() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str();
        if !binary.is_some_and(&serves) {
            continue;
        }
        let events = resource["Properties"]["Events"].as_mapping();
        for event in events.into_iter().flat_map(|events| events.values()) {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let method = event["Properties"]["Method"].as_str().expect("a method");
            let path = event["Properties"]["Path"].as_str().expect("a path");
            routes.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    routes
}

/// The route a row's label names: `PATCH /api/v1/users/{id} role` → `PATCH
/// /api/v1/users/{id}`, `GET /api/v1/approvals?requester_id=owner` → `GET /api/v1/approvals`.
pub fn route_of(label: &str) -> String {
    let mut words = label.split_whitespace();
    let method = words.next().unwrap_or_default();
    let path = words.next().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    format!("{method} {path}")
}

/// One module's matrix: who the callers are, and the functions whose
/// routes it must cover.
pub struct Matrix<'a> {
    pub env: &'a TestEnv,
    /// The binaries of the functions this module owns.
    pub functions: &'a [&'a str],
    /// The account of each kind of caller (`None` for `anonymous`), in the
    /// order of [`CALLERS`].
    pub accounts: [Option<Account>; 6],
}

impl<'a> Matrix<'a> {
    /// The matrix of `functions`, signed in as `callers`.
    pub fn new(env: &'a TestEnv, functions: &'a [&'a str], callers: &Callers) -> Self {
        Self {
            env,
            functions,
            accounts: callers.accounts(),
        }
    }

    /// Checks coverage, then sends every row as every caller (each signed
    /// in afresh: a role change earlier in the table ends the target's
    /// sessions, as it should) through `send`, or [`TestEnv::call`].
    pub async fn check(&self, rows: &[Row<'_>], send: Option<&Send<'_>>) {
        let covered: BTreeSet<String> = rows.iter().map(|(label, _, _)| route_of(label)).collect();
        let routes = template_routes(self.functions);
        let without_row: Vec<&String> = routes.difference(&covered).collect();
        let not_in_template: Vec<&String> = covered.difference(&routes).collect();
        assert!(
            without_row.is_empty() && not_in_template.is_empty(),
            "routes of {:?} in template.yaml without a row: {without_row:?}; \
             rows for routes they do not have: {not_in_template:?}",
            self.functions
        );
        let mut mismatches = Vec::new();
        for (route, request, expected) in rows {
            for ((caller, account), expected) in CALLERS.iter().zip(&self.accounts).zip(expected) {
                let token = match account {
                    Some(account) => Some(self.env.sign_in(account).await.access),
                    None => None,
                };
                let call = request().token(token.as_deref());
                let reply = match send {
                    Some(send) => send(call).await,
                    None => self.env.call(call).await,
                };
                if reply.status != *expected {
                    mismatches.push(format!(
                        "{route} as {caller}: expected {expected}, got {} {}",
                        reply.status, reply.body
                    ));
                }
            }
        }
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }
}
