//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)` or `principal.can(..)`.

use opsflow_platform::auth::rbac::{Permission, ADMINS, READERS_OF_ALL};

/// Read every audit record, not only those about what one may see.
pub const AUDIT_READ_ALL: Permission = Permission::new("audit.read_all", READERS_OF_ALL);

/// Report a client's action about any entity, not only those one may see
/// or the clients' own kinds.
pub const AUDIT_REPORT_ANY: Permission = Permission::new("audit.report_any", ADMINS);
