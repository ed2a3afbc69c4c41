//! Identity's event types and builders: a user's changes (`user.*`, with
//! the account's view as `data`) and sign-in sessions (`session.*`).

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

/// The entity kind of user events.
pub const USER: &str = "user";
pub const USER_UPDATED: &str = "user.updated";
pub const USER_ROLE_CHANGED: &str = "user.role_changed";
pub const USER_DEACTIVATED: &str = "user.deactivated";
pub const USER_REACTIVATED: &str = "user.reactivated";

/// A session event: about the session, or (`session.revoked`) the user.
/// `data.user_id` is always the user.
pub fn session_event(
    event_type: &str,
    entity_id: &str,
    user_id: &crate::domain::EntityId,
    actor: Actor,
    correlation_id: &str,
    data: serde_json::Value,
) -> Envelope {
    let mut data = match data {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    data.insert("user_id".into(), serde_json::json!(user_id));
    Envelope::new(
        event_type,
        "session",
        entity_id,
        actor,
        correlation_id,
        serde_json::Value::Object(data),
    )
}
