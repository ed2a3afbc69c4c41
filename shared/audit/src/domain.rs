//! The domain types the audit log names entities and actors with.

pub use opsflow_platform::domain::*;
