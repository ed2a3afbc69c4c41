//! The API keeps the contract `docs/openapi.json` states, checked from
//! outside by schemathesis (pinned in `infra/local/requirements.txt`): it
//! sends generated requests, valid and invalid, for every operation of the
//! document to this checkout's platform as `serve` starts it, once signed in
//! as an admin (made with `opsflow-admin create-admin`, as an operator
//! would) and once as a plain user (registered and logged in through the
//! API), and checks that no answer is a 5xx, that every status is one the
//! operation documents, that every body has a documented media type (so
//! every error is `application/problem+json`) and matches its schema.
//!
//! Invariant: the run is reproducible and bounded (the settings of
//! `infra/local/schemathesis.toml`: a fixed seed, a few examples per
//! operation, no state kept between runs; no coverage or stateful phase) unless `OPSFLOW_CONTRACT_ARGS` adds schemathesis
//! options (`make fuzz` does); nothing is downloaded (schemathesis 4 has no
//! telemetry or upload); operations that end the caller's session run after
//! all the caller's others. The admin's and the user's runs go side by side.

mod checkout;

use checkout::Served;
use serde_json::{json, Value};
use std::path::Path;
use tokio::process::Command;

/// Operations that end the session of the token they are sent with, so
/// they run last, each role on its own.
const SESSION_ENDING: [&str; 1] = ["/api/v1/auth/logout"];

/// A signed-in caller: a name for the output, an access token, and the
/// schemathesis phases run for it.
struct Caller {
    role: &'static str,
    token: String,
    phases: &'static str,
}

async fn post(base: &str, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .expect("the gateway answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn log_in(base: &str, email: &str, password: &str) -> String {
    let (status, body) = post(
        base,
        "/api/v1/auth/login",
        json!({"email": email, "password": password}),
    )
    .await;
    assert_eq!(status, 200, "logging in {email}: {body}");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// An admin made by `opsflow-admin create-admin` in the platform's table,
/// signed in through the API.
async fn admin(served: &Served) -> Caller {
    let email = "contract-admin@example.com";
    let password = format!("admin-{}", uuid::Uuid::new_v4().simple());
    let admin_cli = checkout::binaries_dir().join("opsflow-admin");
    let output = Command::new(&admin_cli)
        .args(["create-admin", "--email", email, "--name", "Contract Admin"])
        .args(["--table", served.table()])
        .env("OPSFLOW_ADMIN_PASSWORD", &password)
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "running {} (`cargo build --workspace --bins`): {e}",
                admin_cli.display()
            )
        });
    assert!(
        output.status.success(),
        "opsflow-admin create-admin: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Caller {
        role: "admin",
        token: log_in(&served.url(), email, &password).await,
        // The coverage phase's systematic boundary values (over two
        // thousand requests, two minutes here) run in `make fuzz`, which
        // adds it; CI keeps to the examples and the seeded fuzzing.
        phases: "examples,fuzzing",
    }
}

/// A plain user, registered and signed in through the API.
async fn user(served: &Served) -> Caller {
    let email = "contract-user@example.com";
    let password = format!("user-{}", uuid::Uuid::new_v4().simple());
    let (status, body) = post(
        &served.url(),
        "/api/v1/auth/register",
        json!({"email": email, "password": password, "name": "Contract User"}),
    )
    .await;
    assert_eq!(status, 201, "registering {email}: {body}");
    Caller {
        role: "user",
        token: log_in(&served.url(), email, &password).await,
        // Most of what a plain user may not do ends in a 403 or 404.
        phases: "examples,fuzzing",
    }
}

/// Which operations a run covers.
enum Operations<'a> {
    /// Every operation but the session-ending ones.
    AllBut(&'a [&'a str]),
    /// Only the operations of this path.
    Only(&'a str),
}

/// Runs schemathesis once; whether it passed, with what it printed.
async fn schemathesis(
    document: &Path,
    base: &str,
    caller: &Caller,
    operations: &Operations<'_>,
) -> (bool, String) {
    let program = checkout::root().join(".venv/bin/schemathesis");
    assert!(
        program.is_file(),
        "{} is missing: run `make setup`",
        program.display()
    );
    let mut command = Command::new(&program);
    command
        .arg("--config-file")
        .arg(checkout::root().join("infra/local/schemathesis.toml"))
        .arg("--no-color")
        .arg("run")
        .arg(document)
        .args(["--url", base])
        .args(["--phases", caller.phases])
        .env("OPSFLOW_CONTRACT_TOKEN", &caller.token)
        // Whatever schemathesis writes beneath its working folder stays
        // out of the checkout.
        .current_dir(std::env::temp_dir());
    match operations {
        Operations::AllBut(paths) => {
            for path in paths.iter() {
                command.args(["--exclude-path", path]);
            }
        }
        Operations::Only(path) => {
            command.args(["--include-path", path]);
        }
    }
    // Later options win: `make fuzz` raises the examples and adds phases.
    if let Ok(extra) = std::env::var("OPSFLOW_CONTRACT_ARGS") {
        command.args(extra.split_whitespace());
    }
    let output = command
        .output()
        .await
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), printed)
}

/// The document's paths.
fn paths(document: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(document)
        .unwrap_or_else(|e| panic!("{}: {e} (run `make openapi`)", document.display()));
    let document: Value = serde_json::from_str(&text).expect("docs/openapi.json is JSON");
    document["paths"]
        .as_object()
        .expect("docs/openapi.json has paths")
        .keys()
        .cloned()
        .collect()
}

/// Runs every schemathesis run of `caller` in turn (the session-ending
/// operations last, each on its own); what failed, and what it printed.
async fn runs_as(
    caller: &Caller,
    document: &Path,
    base: &str,
    ending: &[&str],
) -> (Vec<String>, String) {
    let mut runs = vec![Operations::AllBut(ending)];
    runs.extend(ending.iter().map(|path| Operations::Only(path)));
    let (mut failed, mut printed) = (Vec::new(), String::new());
    for operations in &runs {
        let (passed, output) = schemathesis(document, base, caller, operations).await;
        let scope = match operations {
            Operations::AllBut(_) => "every operation".to_owned(),
            Operations::Only(path) => format!("the operations of {path}"),
        };
        printed.push_str(&format!(
            "==> schemathesis, {scope}, signed in as {}\n{output}\n",
            caller.role
        ));
        if !passed {
            failed.push(format!("{scope} as {}", caller.role));
        }
    }
    (failed, printed)
}

#[tokio::test]
async fn every_operation_keeps_the_documented_contract_for_an_admin_and_a_plain_user() {
    let document = checkout::root().join("docs/openapi.json");
    let described = paths(&document);
    let served = Served::start("contract").await;
    let base = served.url();
    let (admin, user) = (admin(&served).await, user(&served).await);

    let ending: Vec<&str> = SESSION_ENDING
        .into_iter()
        .filter(|path| described.iter().any(|p| p == path))
        .collect();
    // The callers' runs go side by side: each caller's session ends only
    // in its own last runs, and neither touches what the other owns.
    let ((admin_failed, admin_printed), (user_failed, user_printed)) = tokio::join!(
        runs_as(&admin, &document, &base, &ending),
        runs_as(&user, &document, &base, &ending),
    );
    println!("{admin_printed}{user_printed}");
    let failed = [admin_failed, user_failed].concat();
    served.stop().await;

    assert!(
        failed.is_empty(),
        "the API breaks its documented contract ({}). Above, under FAILURES, schemathesis \
         names each failing operation, the check it fails with the response, and a curl \
         command that reproduces it (against this run's platform, now stopped). The seed is \
         fixed, so the same run finds it again: `cargo test --workspace --test contract \
         -- --nocapture`, narrowed to one operation with e.g. \
         OPSFLOW_CONTRACT_ARGS='--include-operation-id listApprovals'",
        failed.join("; ")
    );
}
