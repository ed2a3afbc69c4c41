//! The deploy path as a pipeline runs it, offline: `make deploy ENV=…`
//! hands SAM the environment's config and the caller's own AWS settings,
//! never the emulator endpoints or the dummy credentials the Makefile
//! exports for local work; `samconfig.toml` as the SAM CLI reads it (one
//! arm64 architecture for build and stack per environment); the arm64
//! check's ELF reader; the import of the retained resources into a stack
//! created again.

mod checkout;

use checkout::{root, succeeded, venv};
use std::process::Command;

/// `make deploy ENV=<env>` (no `ENV=` when `env` is none) with SAM
/// replaced by a script that records each call's arguments and `AWS_*`
/// variables; `vars` are the caller's environment.
fn deploy_with(env: Option<&str>, vars: &[(&str, &str)]) -> Vec<(String, Vec<String>)> {
    let dir = std::env::temp_dir().join(format!("opsflow-deploy-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let log = dir.join("calls.log");
    let fake = dir.join("sam");
    std::fs::write(
        &fake,
        "#!/bin/sh\n{ echo \"CALL $*\"; env | grep '^AWS_' | sort; } >> \"$FAKE_SAM_LOG\"\n",
    )
    .expect("the recorder script");
    let status = Command::new("chmod")
        .arg("+x")
        .arg(&fake)
        .status()
        .expect("chmod runs");
    assert!(status.success());
    let mut make = Command::new("make");
    make.current_dir(root())
        .args(["--no-print-directory", "deploy"])
        .args(env.map(|env| format!("ENV={env}")))
        .arg(format!("SAM={}", fake.display()))
        .env("FAKE_SAM_LOG", &log)
        // Not the variables `make test` itself exports.
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .env_remove("ENV");
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") {
            make.env_remove(name);
        }
    }
    make.envs(vars.iter().copied());
    let output = make.output().expect("make runs");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&log).expect("SAM was called");
    std::fs::remove_dir_all(&dir).ok();
    let mut calls: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        match line.strip_prefix("CALL ") {
            Some(call) => calls.push((call.to_owned(), Vec::new())),
            None => calls
                .last_mut()
                .expect("a variable after a call")
                .1
                .push(line.to_owned()),
        }
    }
    calls
}

#[test]
fn make_deploy_builds_and_deploys_the_environment_without_the_emulators_settings() {
    let calls = deploy_with(Some("staging"), &[]);
    let commands: Vec<&str> = calls.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        commands,
        ["build --config-env staging", "deploy --config-env staging"]
    );
    for (command, vars) in &calls {
        assert!(
            vars.iter().all(|v| !v.starts_with("AWS_ENDPOINT_URL")
                && !v.starts_with("AWS_ACCESS_KEY_ID=")
                && !v.starts_with("AWS_SECRET_ACCESS_KEY=")
                && !v.starts_with("AWS_REGION=")),
            "{command} inherited {vars:?}"
        );
    }
}

#[test]
fn make_deploy_keeps_the_callers_credentials_and_drops_any_endpoint() {
    let calls = deploy_with(
        Some("staging"),
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "example"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000"),
        ],
    );
    assert_eq!(calls.len(), 2);
    for (command, vars) in &calls {
        assert!(
            vars.contains(&"AWS_ACCESS_KEY_ID=AKIDEXAMPLE".to_owned()),
            "{command}: {vars:?}"
        );
        assert!(
            vars.contains(&"AWS_REGION=eu-west-1".to_owned()),
            "{command}: {vars:?}"
        );
        assert!(
            vars.iter().all(|v| !v.starts_with("AWS_ENDPOINT_URL")),
            "{command}: {vars:?}"
        );
    }
}

#[test]
fn an_env_the_shell_exports_never_picks_where_a_deploy_goes() {
    let calls = deploy_with(None, &[("ENV", "prod")]);
    let commands: Vec<&str> = calls.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        commands,
        ["build --config-env default", "deploy --config-env default"]
    );
}

#[test]
fn samconfig_builds_and_deploys_arm64_under_each_environments_name() {
    succeeded(
        Command::new(venv("python"))
            .arg(root().join("infra/local/check_samconfig.py"))
            .arg(root()),
    );
}

#[test]
fn the_elf_check_tells_machines_apart() {
    let dir = std::env::temp_dir().join(format!("opsflow-elf-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let header = |machine: u16| {
        let mut bytes = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
        bytes.resize(18, 0);
        bytes.extend(machine.to_le_bytes());
        bytes.extend([0; 44]);
        bytes
    };
    let check = |name: &str, bytes: Vec<u8>, expected: &str| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        Command::new("python3")
            .arg(root().join("infra/local/elf_machine.py"))
            .arg(&path)
            .arg(expected)
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(check("arm", header(183), "aarch64"));
    assert!(!check("x86", header(62), "aarch64"));
    assert!(check("x86", header(62), "x86_64"));
    assert!(!check("text", b"#!/bin/sh\n".to_vec(), "aarch64"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_new_stack_can_import_the_retained_tables_and_bucket() {
    let dir = std::env::temp_dir().join(format!("opsflow-retained-{}", uuid::Uuid::new_v4()));
    succeeded(
        Command::new(venv("python"))
            .arg(root().join("infra/pipeline/retained_import.py"))
            .args([
                "--env",
                "prod",
                "--account",
                "210987654321",
                "--region",
                "eu-west-1",
            ])
            .arg("--template")
            .arg(root().join("template.yaml"))
            .arg("--out")
            .arg(&dir),
    );
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join(name)).expect(name)).expect("JSON")
    };
    let to_import = read("resources-to-import.json");
    let named: Vec<(String, String)> = to_import
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| {
            let id = r["ResourceIdentifier"].as_object().expect("an identifier");
            let name = id
                .values()
                .next()
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            (
                r["LogicalResourceId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                name.to_owned(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("MainTable".to_owned(), "opsflow-prod".to_owned()),
            ("AuditTable".to_owned(), "opsflow-audit-prod".to_owned()),
            (
                "ReportsBucket".to_owned(),
                "opsflow-prod-reports-210987654321-eu-west-1".to_owned()
            ),
        ]
    );
    let template = read("retained-template.json");
    assert!(
        template.get("Transform").is_none(),
        "an import takes a plain template"
    );
    let main = &template["Resources"]["MainTable"];
    assert_eq!(main["DeletionPolicy"], "Retain");
    assert_eq!(
        main["Properties"]["StreamSpecification"]["StreamViewType"], "NEW_IMAGE",
        "the table is imported as the stack declares it"
    );
    assert_eq!(
        template["Parameters"]
            .as_object()
            .expect("parameters")
            .keys()
            .collect::<Vec<_>>(),
        ["Environment"]
    );
    succeeded(Command::new(venv("cfn-lint")).arg(dir.join("retained-template.json")));
    std::fs::remove_dir_all(&dir).ok();
}
