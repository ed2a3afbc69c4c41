//! The OpenAPI description of the `stats` function's route, built from the
//! view of [`crate::view`]. `infra/openapi` merges it into
//! `docs/openapi.json`.
//!
//! Invariant: one operation per route of the function in `template.yaml`,
//! answering exactly the statuses its handler can (401, 503 and 500 are
//! added by the kernel's `finish`): admins only (403 otherwise), a query
//! parameter is 400.

use crate::view::Dashboard;
use opsflow_platform::openapi::{BadRequest, Forbidden};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(paths(get_stats))]
struct Routes;

/// The description of the module's routes.
pub fn doc() -> utoipa::openapi::OpenApi {
    Routes::openapi()
}

/// Get the dashboard
///
/// Admins only. Counts of items, jobs, approvals and users, kept from the
/// event stream: a change shows within about a second. "Created in the
/// last 24 hours" counts by the hour (UTC): the current hour and the 23
/// before it. A status, role or workflow with nothing in it is left out.
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    operation_id = "getStats",
    tag = "stats",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The counts.", body = Dashboard),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
    )
)]
#[allow(dead_code)]
fn get_stats() {}
