//! `items`: `GET|POST /api/v1/items`, `GET|PATCH|PUT|DELETE
//! /api/v1/items/{id}`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_items::api::handle).await
}
