//! Identity's use cases that change an account after it exists (creating
//! one is `accounts`): the only code that writes users. Each takes parsed,
//! permitted input and the acting principal, builds the events and commits
//! them with the change.

pub mod sessions;
pub mod signals;
pub mod users;

pub use users::{UserChange, UserError};
