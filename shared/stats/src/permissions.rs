//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)`.

use opsflow_platform::auth::rbac::{Permission, ADMINS};

/// Read the dashboard: counts across every user, request and item, so an
/// administrator's.
pub const STATS_READ: Permission = Permission::new("stats.read", ADMINS);
