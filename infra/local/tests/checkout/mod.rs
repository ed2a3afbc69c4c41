//! This checkout's platform, for the tests that call it over HTTP as a
//! user would: the real template, function binaries, Swagger UI and
//! `docs/openapi.json`, started on the emulators as `serve` starts it.
//!
//! Invariant: each start runs under its own environment name (so its tables
//! and queues are its own), on a free port, with its own keys; `stop`
//! removes its tables and keys.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use opsflow_local::docs::DocsSite;
use opsflow_local::platform::{Platform, PlatformOptions};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A tool of the checkout's Python environment (`python`, `cfn-lint`),
/// which `make setup` installs.
pub fn venv(tool: &str) -> PathBuf {
    root().join(".venv/bin").join(tool)
}

/// What `command` printed, once it succeeded (else its error output).
pub fn succeeded(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} runs (make setup): {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    output
}

/// Where cargo put this build's binaries (the functions', `opsflow-admin`).
pub fn binaries_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_lambda-probe"))
        .parent()
        .expect("a target directory")
        .to_path_buf()
}

/// A started platform and what to remove when it stops.
pub struct Served {
    pub platform: Platform,
    keys_dir: PathBuf,
}

impl Served {
    /// Starts the platform under the environment `<prefix>-<random>`; its
    /// functions' logs are shown when `SERVED_LOGS` is set.
    pub async fn start(prefix: &str) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut options = PlatformOptions::from_env();
        options.template = root().join("template.yaml");
        options
            .parameters
            .insert("Environment".into(), format!("{prefix}-{}", &id[..8]));
        options.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        options.binaries_dir = binaries_dir();
        options.docs = Some(DocsSite::in_checkout(&root()));
        let keys_dir = std::env::temp_dir().join(format!("opsflow-{prefix}-keys-{id}"));
        options.keys_dir = keys_dir.clone();
        options.print_logs = std::env::var("SERVED_LOGS").is_ok();
        let platform = Platform::start(options).await.expect(
            "the platform starts (emulators up: `make emulators`; functions built: \
             `cargo build --workspace --bins`)",
        );
        Self { platform, keys_dir }
    }

    /// The gateway's base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.platform.address)
    }

    /// The entity table's name.
    pub fn table(&self) -> &str {
        &self.platform.table_name
    }

    /// Stops the platform and removes its tables and keys.
    pub async fn stop(self) {
        let dynamodb = self.platform.dynamodb.clone();
        let tables: Vec<String> = self
            .platform
            .resources
            .table_names
            .values()
            .cloned()
            .collect();
        self.platform.stop().await;
        for table in tables {
            let _ = opsflow_platform::store::schema::delete_table(&dynamodb, &table).await;
        }
        let _ = std::fs::remove_dir_all(&self.keys_dir);
    }
}
