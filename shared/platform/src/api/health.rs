//! `health`: liveness (`GET /health`, `GET /api/v1/health`) answers
//! `{"status": "healthy", …}` without touching anything; readiness
//! (`GET /readiness`) answers `{"status": "healthy", "checks": {"table":
//! "healthy"}}` when the entity table answers and is 503 with a problem body
//! when it does not. The function also serves the API's `$default` route: a
//! path no route matches is a 404 problem document carrying the request id,
//! never API Gateway's own `{"message": "Not Found"}`.

use crate::api::ApiReply;

use crate::error::ApiError;
use crate::http::{dispatch, json, RequestMeta};
use crate::App;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// What `GET /health` answers.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `healthy`: the function answered.
    #[cfg_attr(feature = "openapi", schema(example = "healthy"))]
    pub status: &'static str,
    #[cfg_attr(feature = "openapi", schema(example = "opsflow"))]
    pub service: &'static str,
    /// The deployment's `Environment` parameter.
    #[cfg_attr(feature = "openapi", schema(example = "dev"))]
    pub environment: String,
    /// The version of the code serving the request.
    #[cfg_attr(feature = "openapi", schema(example = "0.1.0"))]
    pub version: &'static str,
}

/// What `GET /readiness` answers while its dependencies answer.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// `healthy`.
    #[cfg_attr(feature = "openapi", schema(example = "healthy"))]
    pub status: &'static str,
    pub checks: ReadinessChecks,
}

/// Each dependency checked by `GET /readiness`, and how it answered.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadinessChecks {
    /// The entity table: `healthy`.
    #[cfg_attr(feature = "openapi", schema(example = "healthy"))]
    pub table: &'static str,
}

const HEALTHY: &str = "healthy";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    dispatch(&app.cors, req, |meta, req| route(app, meta, req)).await
}

async fn route(app: &App, meta: RequestMeta, req: Request) -> ApiReply {
    match meta.route_key.as_str() {
        "GET /health" | "GET /api/v1/health" => json(
            StatusCode::OK,
            &Health {
                status: HEALTHY,
                service: "opsflow",
                environment: app.config.environment.clone(),
                version: env!("CARGO_PKG_VERSION"),
            },
        ),
        "GET /readiness" => match app.store.ping().await {
            Ok(()) => json(
                StatusCode::OK,
                &Readiness {
                    status: HEALTHY,
                    checks: ReadinessChecks { table: HEALTHY },
                },
            ),
            Err(error) => {
                tracing::warn!(error = ?error, "readiness check failed");
                Err(ApiError::ServiceUnavailable(
                    "the entity table is not reachable".into(),
                ))
            }
        },
        _ => Err(ApiError::NotFound(format!(
            "no route matches {} {}",
            meta.method,
            req.uri().path()
        ))),
    }
}
