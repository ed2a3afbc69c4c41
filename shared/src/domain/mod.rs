//! Domain types. Inputs become these newtypes at the edge (`parse` returns a
//! `Result` with a client-facing message); past the edge, code trusts them.

pub mod approval;
pub mod ids;
pub mod user;
pub mod workflow;

pub use approval::{Amount, ApprovalStatus, Comment, Payload, Title, Verdict};
pub use ids::EntityId;
pub use user::{DisplayName, Email, NewPassword, Role, User};
pub use workflow::{Approvers, Description, Step, WorkflowName, WorkflowStatus};

/// A single line of text as people type it: trimmed, 1 to `max_chars`
/// characters, no control characters. Names of people and things use it.
pub(crate) fn single_line(input: &str, max_chars: usize) -> Result<String, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(text.to_owned())
}
