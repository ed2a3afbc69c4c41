//! The `auth` and `users` functions' request handlers.

pub use opsflow_platform::api::*;

pub mod auth;
pub mod users;
pub use crate::view::UserView;
