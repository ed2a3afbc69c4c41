//! `inventory`: `GET|POST /api/v1/inventory`, `GET
//! /api/v1/inventory/low-stock`, `GET|PATCH /api/v1/inventory/{sku}`,
//! `POST /api/v1/inventory/{sku}/adjust`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_inventory::api::handle).await
}
