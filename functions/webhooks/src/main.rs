//! `webhooks`: `GET|POST /api/v1/webhooks`, `GET|PATCH|DELETE
//! /api/v1/webhooks/{id}`, `POST /api/v1/webhooks/{id}/rotate-secret`,
//! `POST /api/v1/webhooks/{id}/ping`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_webhooks::api::subscriptions::handle).await
}
