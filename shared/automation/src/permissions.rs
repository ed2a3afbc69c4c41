//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)` or `principal.can(..)`.

use opsflow_platform::auth::rbac::{Permission, ADMINS, READERS_OF_ALL};

/// Write and delete automation rules.
pub const RULES_MANAGE: Permission = Permission::new("rules.manage", ADMINS);

/// Read automation rules.
pub const RULES_READ: Permission = Permission::new("rules.read", READERS_OF_ALL);

/// Run rules on an event on demand, or try them out (dry run).
pub const AUTOMATION_EXECUTE: Permission = Permission::new("automation.execute", ADMINS);

/// Read the runs of rules (their traces reveal how rules decide).
pub const AUTOMATION_RUNS_READ: Permission =
    Permission::new("automation.runs_read", READERS_OF_ALL);
