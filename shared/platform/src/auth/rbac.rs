//! Roles and permissions: one table in code, checked in one place per
//! route (`principal.require(Permission::…)`).
//!
//! Ownership rules ("a user may read their own record") are not
//! permissions; handlers apply them with [`Principal::is`] after the
//! permission check.

use crate::domain::{EntityId, Role};
use crate::error::ApiError;

/// Everything a route may require of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// List every user account (`GET /users`).
    UsersList,
    /// Read any user's account, not only one's own.
    UsersReadAny,
    /// Change a user's role or active flag, or deactivate a user.
    UsersAdminister,
    /// Create, change and delete workflows.
    WorkflowsManage,
    /// See draft and archived workflows, not only active ones.
    WorkflowsReadAll,
    /// File an approval request against an active workflow.
    ApprovalsRequest,
    /// See and list every approval, whoever filed or decides it.
    ApprovalsReadAll,
    /// Write, read and delete automation rules.
    RulesManage,
    /// Read every audit record, not only those about what one may see.
    AuditReadAll,
    /// Run rules on an event on demand, or try them out (dry run).
    AutomationExecute,
    /// Read the runs of rules (their traces reveal how rules decide).
    AutomationRunsRead,
}

/// The permission table. A permission not listed for a role is denied.
const GRANTS: &[(Permission, &[Role])] = &[
    (Permission::UsersList, &[Role::Admin]),
    (Permission::UsersReadAny, &[Role::Admin]),
    (Permission::UsersAdminister, &[Role::Admin]),
    (Permission::WorkflowsManage, &[Role::Admin]),
    (Permission::WorkflowsReadAll, &[Role::Admin]),
    (
        Permission::ApprovalsRequest,
        &[Role::Admin, Role::Approver, Role::User],
    ),
    (Permission::ApprovalsReadAll, &[Role::Admin]),
    (Permission::AuditReadAll, &[Role::Admin]),
    (Permission::RulesManage, &[Role::Admin]),
    (Permission::AutomationExecute, &[Role::Admin]),
    (Permission::AutomationRunsRead, &[Role::Admin]),
];

pub fn allows(role: Role, permission: Permission) -> bool {
    GRANTS
        .iter()
        .any(|(p, roles)| *p == permission && roles.contains(&role))
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: EntityId,
    pub role: Role,
    pub session_id: String,
    pub token_id: String,
    pub expires_at: i64,
}

impl Principal {
    pub fn can(&self, permission: Permission) -> bool {
        allows(self.role, permission)
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
    fn only_admins_administer_users_and_workflows() {
        for permission in [
            Permission::UsersList,
            Permission::UsersReadAny,
            Permission::UsersAdminister,
            Permission::WorkflowsManage,
            Permission::WorkflowsReadAll,
            Permission::ApprovalsReadAll,
            Permission::AuditReadAll,
            Permission::RulesManage,
            Permission::AutomationExecute,
            Permission::AutomationRunsRead,
        ] {
            assert!(allows(Role::Admin, permission));
            assert!(!allows(Role::Approver, permission));
            assert!(!allows(Role::User, permission));
        }
    }
}
