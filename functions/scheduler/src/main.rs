//! `scheduler`: an EventBridge schedule, every minute → the sweeps of the
//! modules in this function's `Cargo.toml` (the approval steps due to
//! escalate).

// The sweeps' futures (approval transaction, SDK calls) nest more deeply
// than the default limit allows the compiler to lay them out.
#![recursion_limit = "256"]

include!(concat!(env!("OUT_DIR"), "/modules.rs"));

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    opsflow_platform::pipeline::scheduler::run(MODULES).await
}
