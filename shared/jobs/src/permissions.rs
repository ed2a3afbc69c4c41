//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)`. Jobs act on
//! everyone's data (reports of every approval, changes to every item), so
//! they are an admin's.

use opsflow_platform::auth::rbac::{Permission, ADMINS};

/// Create, list, read, retry, cancel, delete and clean jobs, and download
/// their reports.
pub const JOBS_MANAGE: Permission = Permission::new("jobs.manage", ADMINS);
