//! `automation`: `POST /api/v1/automation/execute`, `GET /api/v1/automation/runs`.

// The handler's future (runner, approval transaction, SDK calls) nests more
// deeply than the default limit allows the compiler to lay it out.
#![recursion_limit = "256"]

use opsflow_automation::api::automation::{self, Automation};
use opsflow_platform::api;
use opsflow_platform::config::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let needs = Needs {
        action_queues: true,
        ..Needs::API
    };
    // The kinds of entity `execute` can build an event from.
    let modules = [
        opsflow_identity::register,
        opsflow_approvals::register,
        opsflow_automation::register,
    ];
    api::run_with(
        needs,
        move |app, sdk| async move { Automation::new(app.with_registry(&modules), &sdk) },
        automation::handle,
    )
    .await
}
