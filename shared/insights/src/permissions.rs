//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)` or `principal.can(..)`.
//! Who sees an insight follows the entity it is about
//! ([`crate::service::manage::may_see`]).

use opsflow_platform::auth::rbac::{Permission, ADMINS, EVERY_ROLE, READERS_OF_ALL};

/// List and read the insights one may see.
pub const INSIGHTS_READ: Permission = Permission::new("insights.read", EVERY_ROLE);

/// See every insight, whatever it is about.
pub const INSIGHTS_READ_ALL: Permission = Permission::new("insights.read_all", READERS_OF_ALL);

/// Acknowledge or resolve an insight one may see: admins, and approvers
/// on the requests they may decide.
pub const INSIGHTS_REVIEW: Permission = Permission::new(
    "insights.review",
    &[
        opsflow_platform::domain::Role::Admin,
        opsflow_platform::domain::Role::Approver,
    ],
);

/// Raise an insight by hand, and delete one.
pub const INSIGHTS_MANAGE: Permission = Permission::new("insights.manage", ADMINS);
