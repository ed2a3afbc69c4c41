//! Keys of identity's items: users, their e-mail guards, sessions and
//! refresh tokens (the user and session items' own keys are the kernel's,
//! whose session check reads them).

pub use opsflow_platform::store::keys::*;

use crate::domain::{Email, EntityId, Role};

pub const EMAIL_SK: &str = "EMAIL";

pub const REFRESH_SK: &str = "REFRESH";

/// `gsi1`: every user, in id (= creation) order.
pub const USERS_GSI1PK: &str = "USERS";

pub fn user_gsi1sk(id: &EntityId) -> String {
    format!("USER#{id}")
}

/// `gsi2`: users of one role, in id order.
pub fn users_by_role_gsi2pk(role: Role) -> String {
    format!("USERS#ROLE#{role}")
}

/// The uniqueness guard of an e-mail address (DESIGN §3).
pub fn email_pk(email: &Email) -> String {
    format!("EMAIL#{email}")
}

/// `gsi1`: the sessions of one user.
pub fn sessions_of_user_gsi1pk(user_id: &EntityId) -> String {
    format!("SESSIONS#USER#{user_id}")
}

/// Refresh tokens are found by the SHA-256 of their text.
pub fn refresh_pk(fingerprint: &str) -> String {
    format!("REFRESH#{fingerprint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_their_entity_prefix() {
        assert_eq!(users_by_role_gsi2pk(Role::Approver), "USERS#ROLE#approver");
        let email = Email::parse("a@example.com").unwrap();
        assert_eq!(email_pk(&email), "EMAIL#a@example.com");
    }
}
