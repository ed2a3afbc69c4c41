//! `health`: liveness (`GET /health`, `GET /api/v1/health`) answers without
//! touching anything; readiness (`GET /readiness`) checks that the entity
//! table answers and is 503 with a problem body when it does not.

use crate::api::ApiReply;

use crate::error::ApiError;
use crate::http::{dispatch, json, RequestMeta};
use crate::App;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    dispatch(&app.cors, req, |meta, _req| route(app, meta)).await
}

async fn route(app: &App, meta: RequestMeta) -> ApiReply {
    match meta.route_key.as_str() {
        "GET /health" | "GET /api/v1/health" => json(
            StatusCode::OK,
            &json!({"status": "ok", "service": "opsflow", "environment": app.config.environment}),
        ),
        "GET /readiness" => match app.store.ping().await {
            Ok(()) => json(
                StatusCode::OK,
                &json!({"status": "ready", "checks": {"table": "ok"}}),
            ),
            Err(error) => {
                tracing::warn!(error = ?error, "readiness check failed");
                Err(ApiError::ServiceUnavailable(
                    "the entity table is not reachable".into(),
                ))
            }
        },
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}
