//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)` or `principal.can(..)`.

use opsflow_platform::auth::rbac::{Permission, ADMINS};

/// Read every audit record, not only those about what one may see.
pub const AUDIT_READ_ALL: Permission = Permission::new("audit.read_all", ADMINS);
