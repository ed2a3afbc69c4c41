//! `automation`: `POST /api/v1/automation/execute`, `GET /api/v1/automation/runs`.
//! `execute` builds events from the stored entities of every module in
//! this function's `Cargo.toml`, and its runs act on them.

// The handler's future (runner, approval transaction, SDK calls) nests more
// deeply than the default limit allows the compiler to lay it out.
#![recursion_limit = "256"]

include!(concat!(env!("OUT_DIR"), "/modules.rs"));

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run_with_modules(MODULES, opsflow_automation::api::automation::handle)
        .await
}
