//! A minimal Lambda function on `lambda_runtime`. With no `action` it is a
//! hello world (the cold-start baseline of `make bench`); the runtime
//! contract tests ask it to misbehave:
//!
//! - `{"action":"echo", …}` returns the event;
//! - `{"action":"error"}` returns an error;
//! - `{"action":"panic"}` panics in the handler;
//! - `{"action":"sleep","ms":N}` sleeps, then answers;
//! - `{"action":"exit"}` kills the process mid-invocation;
//! - `PROBE_FAIL_INIT=1` makes init fail before the runtime starts.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let payload = event.payload;
    match payload.get("action").and_then(Value::as_str) {
        Some("echo") => Ok(payload),
        Some("error") => Err("deliberate failure".into()),
        Some("panic") => panic!("deliberate panic"),
        Some("sleep") => {
            let ms = payload.get("ms").and_then(Value::as_u64).unwrap_or(0);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(json!({"slept_ms": ms}))
        }
        Some("exit") => std::process::exit(3),
        _ => Ok(json!({"hello": "world", "request_id": event.context.request_id})),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    if std::env::var("PROBE_FAIL_INIT").is_ok_and(|v| v == "1") {
        eprintln!("init failed: PROBE_FAIL_INIT is set");
        std::process::exit(1);
    }
    run(service_fn(handle)).await
}
