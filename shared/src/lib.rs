//! `opsflow-shared`: the domain, storage, auth, HTTP and event code that
//! every Opsflow function is built from. Functions' `main.rs` files only
//! set up tracing, build an [`app::App`] once, and hand requests to a
//! handler in [`api`].

pub mod accounts;
pub mod api;
pub mod app;
pub mod auth;
pub mod automation;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod http;
pub mod pipeline;
pub mod store;
pub mod telemetry;

pub use app::App;
pub use error::{ApiError, ApiResult};
