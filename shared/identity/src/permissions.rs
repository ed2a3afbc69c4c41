//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)` or `principal.can(..)`.

use opsflow_platform::auth::rbac::{Permission, ADMINS};

/// List every user account (`GET /api/v1/users`).
pub const USERS_LIST: Permission = Permission::new("users.list", ADMINS);

/// Read any user's account, not only one's own.
pub const USERS_READ_ANY: Permission = Permission::new("users.read_any", ADMINS);

/// Change a user's role or active flag, or deactivate a user.
pub const USERS_ADMINISTER: Permission = Permission::new("users.administer", ADMINS);
