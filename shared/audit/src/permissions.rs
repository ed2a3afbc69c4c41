//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)` or `principal.can(..)`.

use opsflow_platform::auth::rbac::{Permission, READERS_OF_ALL};

/// Read every audit record, not only those about what one may see (and
/// report about anything).
pub const AUDIT_READ_ALL: Permission = Permission::new("audit.read_all", READERS_OF_ALL);
