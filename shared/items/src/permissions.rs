//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)`. Who may change one
//! item is decided beside them ([`crate::domain::may_change`]).

use opsflow_platform::auth::rbac::{Permission, ADMINS, EVERY_ROLE, WRITERS};

/// Read and list every item.
pub const ITEMS_READ: Permission = Permission::new("items.read", EVERY_ROLE);

/// Create items (the creator owns them) and change or delete one's own.
pub const ITEMS_WRITE: Permission = Permission::new("items.write", WRITERS);

/// Change and delete anyone's items.
pub const ITEMS_CHANGE_ANY: Permission = Permission::new("items.change_any", ADMINS);
