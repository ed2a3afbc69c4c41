//! `sam-env`: the `--env-vars` file for `sam local invoke` and `sam local
//! start-api` (where Docker is available), written from what the local
//! runtime itself gives each function: the tables, queues and buckets it
//! created on the emulators, the local keys, and the emulators' endpoints.
//!
//! Invariant: the file names every variable a function declares in the
//! template, with the value `serve` runs that function with; the
//! credentials are left out (SAM passes its own, which DynamoDB Local
//! started with `-sharedDb` and moto accept); with `endpoint_host` set, the
//! emulators' address in the endpoints, the queue URLs and the webhook
//! receiver's address is that host (a container reaches the machine it
//! runs on as `host.docker.internal`, not as 127.0.0.1).

use crate::template::FunctionDef;
use serde_json::{Map, Value};

/// The variables SAM takes from elsewhere: it passes its own credentials.
const LEFT_OUT: [&str; 2] = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];

/// The env-vars document: `{"<LogicalId>": {"VAR": "value", …}, …}`.
/// `emulators` are the emulators' base URLs (`http://127.0.0.1:8000`, …).
pub fn env_vars(
    functions: &[FunctionDef],
    emulators: &[&str],
    endpoint_host: Option<&str>,
) -> Value {
    let mut document = Map::new();
    for function in functions {
        let variables: Map<String, Value> = function
            .environment
            .iter()
            .filter(|(key, _)| !LEFT_OUT.contains(&key.as_str()))
            .map(|(key, value)| {
                let value = match endpoint_host {
                    Some(host) => on_host(key, value, emulators, host),
                    None => value.clone(),
                };
                (key.clone(), Value::String(value))
            })
            .collect();
        document.insert(function.logical_id.clone(), Value::Object(variables));
    }
    Value::Object(document)
}

/// `value` with the emulators' host replaced by `host` where it addresses
/// an emulator or the local webhook receiver.
fn on_host(key: &str, value: &str, emulators: &[&str], host: &str) -> String {
    for base in emulators {
        if let Some(rest) = value.strip_prefix(base) {
            return format!("{}{rest}", with_host(base, host));
        }
    }
    if key == "WEBHOOK_ALLOW_HOSTS" {
        return with_host(&format!("http://{value}"), host).replacen("http://", "", 1);
    }
    value.to_owned()
}

/// `url` (`scheme://host:port…`) with `host` in place of its host.
fn with_host(url: &str, host: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
    // The port follows the last colon, after an IPv6 address's bracket.
    let port = match authority.rfind(':') {
        Some(at) if !authority[at..].contains(']') => &authority[at..],
        _ => "",
    };
    format!("{scheme}://{host}{port}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(vars: &[(&str, &str)]) -> FunctionDef {
        FunctionDef {
            logical_id: "JobsFunction".to_owned(),
            function_name: "JobsFunction".to_owned(),
            binary: "jobs".to_owned(),
            environment: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            memory_mb: 128,
            timeout_secs: 3,
            architecture: "x86_64".to_owned(),
            reserved_concurrency: None,
            events: Vec::new(),
        }
    }

    const EMULATORS: [&str; 2] = ["http://127.0.0.1:8000", "http://127.0.0.1:5000"];

    #[test]
    fn credentials_are_left_to_sam_and_the_rest_is_kept() {
        let document = env_vars(
            &[function(&[
                ("AWS_ACCESS_KEY_ID", "local"),
                ("AWS_SECRET_ACCESS_KEY", "local"),
                ("TABLE_NAME", "opsflow-local"),
                ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"),
            ])],
            &EMULATORS,
            None,
        );
        assert_eq!(
            document,
            serde_json::json!({"JobsFunction": {
                "TABLE_NAME": "opsflow-local",
                "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
            }})
        );
    }

    #[test]
    fn a_container_host_replaces_the_emulators_address_only() {
        let document = env_vars(
            &[function(&[
                ("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5000"),
                (
                    "JOBS_QUEUE_URL",
                    "http://127.0.0.1:5000/123456789012/opsflow-local-jobs",
                ),
                ("WEBHOOK_ALLOW_HOSTS", "127.0.0.1:3000"),
                ("CORS_ORIGINS", "http://127.0.0.1:5173"),
            ])],
            &EMULATORS,
            Some("host.docker.internal"),
        );
        let vars = &document["JobsFunction"];
        assert_eq!(
            vars["AWS_ENDPOINT_URL_SQS"],
            "http://host.docker.internal:5000"
        );
        assert_eq!(
            vars["JOBS_QUEUE_URL"],
            "http://host.docker.internal:5000/123456789012/opsflow-local-jobs"
        );
        assert_eq!(vars["WEBHOOK_ALLOW_HOSTS"], "host.docker.internal:3000");
        // A browser origin is not an emulator.
        assert_eq!(vars["CORS_ORIGINS"], "http://127.0.0.1:5173");
    }

    #[test]
    fn any_way_of_naming_the_emulators_host_is_replaced() {
        for (url, expected) in [
            ("http://localhost:8000", "http://h:8000"),
            ("http://[::1]:8000/x", "http://h:8000/x"),
            ("http://127.0.0.1", "http://h"),
        ] {
            assert_eq!(with_host(url, "h"), expected);
        }
        let document = env_vars(
            &[function(&[(
                "AWS_ENDPOINT_URL_DYNAMODB",
                "http://localhost:8000",
            )])],
            &["http://localhost:8000"],
            Some("host.docker.internal"),
        );
        assert_eq!(
            document["JobsFunction"]["AWS_ENDPOINT_URL_DYNAMODB"],
            "http://host.docker.internal:8000"
        );
    }
}
