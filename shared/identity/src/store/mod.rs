//! Identity's items in the entity table: users (with their e-mail guards)
//! and sessions (with their refresh tokens). Access patterns are written in
//! each file's `//!`.

pub use opsflow_platform::store::*;

pub mod keys;
pub mod migrations;
pub mod sessions;
pub mod users;

pub use sessions::SessionStore;
pub use users::UserStore;
