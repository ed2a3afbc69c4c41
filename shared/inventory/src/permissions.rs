//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)`.

use opsflow_platform::auth::rbac::{Permission, ADMINS, EVERY_ROLE};

/// Read and list SKUs, and the low-stock list.
pub const INVENTORY_READ: Permission = Permission::new("inventory.read", EVERY_ROLE);

/// Create SKUs, change them and adjust their stock.
pub const INVENTORY_MANAGE: Permission = Permission::new("inventory.manage", ADMINS);
