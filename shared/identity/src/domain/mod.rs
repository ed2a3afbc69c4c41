//! Users as the domain sees them, and the validated inputs that make one.

pub use opsflow_platform::domain::*;

pub mod user;

pub use user::{DisplayName, Email, NewPassword, User};
