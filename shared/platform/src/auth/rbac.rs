//! Permissions and the caller: each module declares its permissions with
//! the roles that hold them (`permissions.rs`), and each route checks one in
//! one place (`principal.require(permissions::…)`).
//!
//! Ownership rules ("a user may read their own record") are not
//! permissions; handlers apply them with [`Principal::is`] after the
//! permission check.

use crate::domain::{EntityId, Role};
use crate::error::ApiError;

/// What a route may require of its caller: a name and the roles that hold
/// it. Each module declares its own in its `permissions` module, so the
/// roles a permission is granted to are written beside it, and a new module
/// adds permissions without editing the kernel. A role not listed is
/// denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    name: &'static str,
    roles: &'static [Role],
}

impl Permission {
    pub const fn new(name: &'static str, roles: &'static [Role]) -> Self {
        Self { name, roles }
    }

    /// The permission's name, `<module>.<what>` (for logs and tests).
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn allows(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Every role: for permissions any signed-in user holds (reading, and
/// what concerns the caller alone).
pub const EVERY_ROLE: &[Role] = &[Role::Admin, Role::Approver, Role::User, Role::Auditor];
/// Every role that changes things: all but auditors, who change nothing.
pub const WRITERS: &[Role] = &[Role::Admin, Role::Approver, Role::User];
/// Administrators only.
pub const ADMINS: &[Role] = &[Role::Admin];
/// Those who read everything of a kind: administrators and auditors.
pub const READERS_OF_ALL: &[Role] = &[Role::Admin, Role::Auditor];

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: EntityId,
    pub role: Role,
    pub session_id: String,
    /// The session generation the token names (`gen`), if it names one.
    pub session_generation: Option<u64>,
    pub token_id: String,
    pub expires_at: i64,
}

impl Principal {
    pub fn can(&self, permission: Permission) -> bool {
        permission.allows(self.role)
    }

    /// `Ok` if the caller's role grants `permission`, else 403.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "your role does not allow this action".into(),
            ))
        }
    }

    pub fn is(&self, user_id: &EntityId) -> bool {
        &self.user_id == user_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permission_allows_exactly_the_roles_it_carries() {
        const REVIEW: Permission = Permission::new("test.review", &[Role::Admin, Role::Approver]);
        assert!(REVIEW.allows(Role::Admin));
        assert!(REVIEW.allows(Role::Approver));
        assert!(!REVIEW.allows(Role::User));
        assert!(Permission::new("test.all", EVERY_ROLE).allows(Role::User));
        assert!(!Permission::new("test.admin", ADMINS).allows(Role::Approver));
    }
}
