//! Identity's event types. Users' own events (`user.*`) are built where
//! their change is written; these are the sign-in session events.

pub use opsflow_platform::events::*;

/// Security events about sign-in sessions (platform events: they reach the
/// audit log like every other). `entity` is `session`; `entity_id` is the
/// session's id, except for [`SESSION_REVOKED`], which ends every session
/// of a user and names the user. `data.user_id` is always the user.
pub const SESSION_LOGIN: &str = "session.login";
pub const SESSION_LOGOUT: &str = "session.logout";
/// A spent refresh token came back: its session (token family) is revoked.
pub const SESSION_REFRESH_REUSED: &str = "session.refresh_reused";
/// Every session of a user ended with a deactivation (or reactivation),
/// a role change or a new password (`data.reason`).
pub const SESSION_REVOKED: &str = "session.revoked";
