//! Request handlers, one module per API function. Each `handle` takes the
//! function's [`App`](crate::App) and an API Gateway (HTTP API, payload 2.0)
//! request, dispatches on the route key and always returns a response:
//! errors become problem documents in [`crate::http::dispatch`].

pub mod auth;
pub mod health;
pub mod idempotency;
pub mod users;
mod views;

pub use views::UserView;
