//! Passwords (argon2id) and login limits, beside the kernel's tokens and
//! permissions.

pub use opsflow_platform::auth::*;

pub mod password;
pub mod throttle;
