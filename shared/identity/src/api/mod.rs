//! The `auth` and `users` functions' request handlers.

pub use opsflow_platform::api::*;

pub mod auth;
pub mod users;
mod views;

pub use views::UserView;
