//! `stats`: the dashboard's counts (`GET /api/v1/stats`, admins), kept by
//! the `stats-aggregator` from the event stream, within about a second of
//! the change that moves them; nothing is recounted when it is read.

pub use opsflow_platform::api::*;

use crate::{permissions, service};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use opsflow_platform::auth::Principal;
use opsflow_platform::error::ApiError;
use opsflow_platform::http::{json, only_query_params, RequestMeta};
use opsflow_platform::Api;

pub async fn handle(app: &Api, req: Request) -> Response<Body> {
    serve(app, req, route).await
}

async fn route(app: &Api, principal: Principal, meta: RequestMeta, req: Request) -> ApiReply {
    match meta.route_key.as_str() {
        "GET /api/v1/stats" => {
            principal.require(permissions::STATS_READ)?;
            only_query_params(&req, &[])?;
            json(StatusCode::OK, &service::dashboard(&app.store).await?)
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}
