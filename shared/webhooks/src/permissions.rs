//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)`.

use opsflow_platform::auth::rbac::{Permission, ADMINS};

/// Create, read, change, delete and test webhook subscriptions, and read
/// their deliveries: a subscription sends every matching event's data to
/// a URL outside the platform, so only admins manage them.
pub const WEBHOOKS_MANAGE: Permission = Permission::new("webhooks.manage", ADMINS);
