//! `opsflow-local sam-env` and `sam local invoke --env-vars`: the file it
//! writes, read by the SAM CLI's own code (`infra/local/sam_local_env.py`,
//! everything `sam local invoke` does before it starts a container, which
//! needs Docker), gives every function of template.yaml the environment the
//! local runtime runs it with. Needs the emulators (`make emulators`): the
//! command creates the tables and queues the file names.

mod checkout;

use checkout::{root, succeeded, venv};
use serde_json::{Map, Value};
use std::path::Path;
use std::process::Command;

fn endpoint(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Runs `opsflow-local sam-env` in a directory of its own (its keys and
/// the file land there) for a fresh environment; the file's text.
fn sam_env(dir: &Path, environment: &str, extra: &[&str]) -> Value {
    succeeded(
        Command::new(env!("CARGO_BIN_EXE_opsflow-local"))
            .current_dir(dir)
            .arg("--template")
            .arg(root().join("template.yaml"))
            .args(["--param", &format!("Environment={environment}"), "sam-env"])
            .args(extra),
    );
    let text = std::fs::read(dir.join(".local/sam-env.json")).expect("the file is written");
    serde_json::from_slice(&text).expect("the file is JSON")
}

/// What the SAM CLI resolves for each function with `file`.
fn as_sam_resolves(file: &Path) -> Map<String, Value> {
    let output = succeeded(
        Command::new(venv("python"))
            .arg(root().join("infra/local/sam_local_env.py"))
            .arg(root().join("template.yaml"))
            .arg(file),
    );
    match serde_json::from_slice(&output.stdout).expect("JSON") {
        Value::Object(map) => map,
        other => panic!("expected an object, got {other}"),
    }
}

#[test]
fn sam_local_gives_every_function_what_the_local_runtime_runs_it_with() {
    let dir = std::env::temp_dir().join(format!("opsflow-sam-env-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let run = uuid::Uuid::new_v4().simple().to_string();
    let environment = format!("samenv-{}", &run[..8]);
    let written = sam_env(&dir, &environment, &[]);
    let file = dir.join(".local/sam-env.json");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).expect("file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the file holds the cursor secret");
    // Written again over a file anyone could read: readable by its owner only.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    sam_env(&dir, &environment, &[]);
    let mode = std::fs::metadata(&file).expect("file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "rewritten");

    let resolved = as_sam_resolves(&file);
    let written = written.as_object().expect("an object per function");
    assert_eq!(
        resolved.keys().collect::<Vec<_>>(),
        written.keys().collect::<Vec<_>>(),
        "one entry per function of the template"
    );
    assert_eq!(resolved.len(), 24);
    let dynamodb = endpoint("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000");
    let moto = endpoint("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000");
    for (function, env) in &resolved {
        // SAM overrides declared variables only: every variable the file
        // gives is declared, and takes the file's value.
        assert_eq!(env, &written[function], "{function}");
        let env = env.as_object().expect("variables");
        for (name, value) in env {
            let value = value.as_str().expect("text");
            assert!(!value.is_empty(), "{function}.{name} has no value");
            assert!(!value.contains("{{resolve:"), "{function}.{name}: {value}");
        }
        assert_eq!(
            env["AWS_ENDPOINT_URL_DYNAMODB"],
            dynamodb.as_str(),
            "{function}"
        );
        for service in ["SQS", "SECRETS_MANAGER", "S3", "SESV2"] {
            assert_eq!(
                env[&format!("AWS_ENDPOINT_URL_{service}")],
                moto.as_str(),
                "{function}"
            );
        }
        let endpoints: Vec<&str> = env
            .keys()
            .map(String::as_str)
            .filter(|name| name.starts_with("AWS_ENDPOINT_URL"))
            .collect();
        let mut declared = opsflow_platform::config::LOCAL_ENDPOINTS.to_vec();
        declared.sort_unstable();
        assert_eq!(
            endpoints, declared,
            "{function}: the endpoints a function checks"
        );
        assert_eq!(env["ENVIRONMENT"], environment.as_str());
        assert_eq!(env["TABLE_NAME"], format!("opsflow-{environment}").as_str());
        assert!(!env.contains_key("AWS_ACCESS_KEY_ID"), "SAM passes its own");
    }
    // The auth function signs with the key put into moto's Secrets Manager;
    // the others verify with its public half, written beside.
    let public = std::fs::read_to_string(dir.join(".local/keys/jwt-public.pem"))
        .expect("the local public key");
    assert_eq!(resolved["UsersFunction"]["JWT_PUBLIC_KEY"], public.as_str());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_container_reaches_the_emulators_at_the_host_it_is_given() {
    let dir = std::env::temp_dir().join(format!("opsflow-sam-env-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let run = uuid::Uuid::new_v4().simple().to_string();
    let environment = format!("samenv-{}", &run[..8]);
    let written = sam_env(
        &dir,
        &environment,
        &["--endpoint-host", "host.docker.internal"],
    );
    let jobs = &written["JobWorkerFunction"];
    assert_eq!(
        jobs["AWS_ENDPOINT_URL_SQS"],
        endpoint("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000")
            .replacen("127.0.0.1", "host.docker.internal", 1)
            .as_str()
    );
    let queue = jobs["JOBS_QUEUE_URL"].as_str().expect("a queue URL");
    assert!(queue.starts_with("http://host.docker.internal:"), "{queue}");
    assert!(
        queue.ends_with(&format!("opsflow-{environment}-jobs")),
        "{queue}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
