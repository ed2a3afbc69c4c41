//! Keys of the single entity table that the kernel itself reads or writes:
//! the outbox's event items, idempotency records, rate-limit counters and
//! gates, and the session and user items of the session check. Each module
//! keeps the keys of its own items in its `store::keys`, beside the access
//! patterns they serve (listed in `README.md` beside this file).

use crate::domain::EntityId;

/// The sort key of items that are alone in their partition.
pub const USER_SK: &str = "USER";

pub const SESSION_SK: &str = "SESSION";

pub const RATE_SK: &str = "RATE";

pub const GATE_SK: &str = "GATE";

pub const EVENT_SK: &str = "EVENT";

/// A data migration's progress (`migrate/`).
pub const MIGRATION_SK: &str = "MIGRATION";

pub const IDEMPOTENCY_SK: &str = "IDEMPOTENCY";

pub fn user_pk(id: &EntityId) -> String {
    format!("USER#{id}")
}

pub fn session_pk(session_id: &str) -> String {
    format!("SESSION#{session_id}")
}

/// A fixed-window counter: `scope` (`login-ip`, `login-email`), the
/// subject counted, and the window's index.
pub fn rate_pk(scope: &str, subject: &str, window: u64) -> String {
    format!("RATE#{scope}#{subject}#{window}")
}

/// The backoff gate of one subject (an account's password attempts).
pub fn gate_pk(scope: &str, subject: &str) -> String {
    format!("GATE#{scope}#{subject}")
}

/// An idempotency key within its scope (the route, and the caller when
/// authenticated), so one client's key never answers another's request.
pub fn idempotency_pk(scope: &str, key: &str) -> String {
    format!("IDEMPOTENCY#{scope}#{key}")
}

pub fn migration_pk(id: &str) -> String {
    format!("MIGRATION#{id}")
}

pub fn event_pk(id: &EntityId) -> String {
    format!("EVENT#{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_their_entity_prefix() {
        let id = EntityId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
        assert_eq!(user_pk(&id), "USER#01890a5d-ac96-774b-bcce-b302099a8057");
        assert_eq!(
            rate_pk("login-ip", "10.0.0.1", 7),
            "RATE#login-ip#10.0.0.1#7"
        );
    }
}
