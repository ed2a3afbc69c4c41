//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)`.

use opsflow_platform::auth::rbac::{Permission, ADMINS, EVERY_ROLE};

/// Read every setting (clients configure themselves from them).
pub const SETTINGS_READ: Permission = Permission::new("settings.read", EVERY_ROLE);

/// Read one setting's record and set it.
pub const SETTINGS_MANAGE: Permission = Permission::new("settings.manage", ADMINS);
