//! `orders`: `GET|POST /api/v1/orders`, `GET|PATCH /api/v1/orders/{id}`,
//! `GET /api/v1/orders/{id}/timeline`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_orders::api::handle).await
}
