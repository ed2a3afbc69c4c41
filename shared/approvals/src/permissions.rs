//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)` or `principal.can(..)`.

use opsflow_platform::auth::rbac::{Permission, ADMINS, READERS_OF_ALL, WRITERS};

/// Create, change and delete workflows.
pub const WORKFLOWS_MANAGE: Permission = Permission::new("workflows.manage", ADMINS);

/// See draft and archived workflows, not only active ones.
pub const WORKFLOWS_READ_ALL: Permission = Permission::new("workflows.read_all", READERS_OF_ALL);

/// File an approval request against an active workflow.
pub const APPROVALS_REQUEST: Permission = Permission::new("approvals.request", WRITERS);

/// See and list every approval, whoever filed or decides it.
pub const APPROVALS_READ_ALL: Permission = Permission::new("approvals.read_all", READERS_OF_ALL);

/// Decide a step one is an approver of, or withdraw one's own request
/// (auditors change nothing, whatever a step names).
pub const APPROVALS_DECIDE: Permission = Permission::new("approvals.decide", WRITERS);
