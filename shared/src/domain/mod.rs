//! Domain types. Inputs become these newtypes at the edge (`parse` returns a
//! `Result` with a client-facing message); past the edge, code trusts them.

pub mod ids;
pub mod user;
pub mod workflow;

pub use ids::EntityId;
pub use user::{DisplayName, Email, NewPassword, Role, User};
pub use workflow::{Approvers, Description, Step, WorkflowName, WorkflowStatus};
