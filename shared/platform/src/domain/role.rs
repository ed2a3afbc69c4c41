//! Roles: what a user may do is decided by their role alone (the
//! permissions each role holds are in `auth::rbac`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a user may do; permissions per role are in `auth::rbac`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Approver,
    User,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Approver, Role::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Approver => "approver",
            Role::User => "user",
        }
    }

    pub fn parse(input: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == input)
            .ok_or_else(|| "must be one of admin, approver, user".to_owned())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
