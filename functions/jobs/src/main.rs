//! `jobs`: `GET|POST /api/v1/jobs`, `POST /api/v1/jobs/clean`,
//! `GET|DELETE /api/v1/jobs/{id}`, `POST /api/v1/jobs/{id}/retry`,
//! `POST /api/v1/jobs/{id}/cancel`, `GET /api/v1/jobs/{id}/download`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    opsflow_platform::api::run(opsflow_jobs::api::handle).await
}
