//! The permissions of this module's routes, each with the roles that hold
//! it; routes check them with `principal.require(..)`. Who may move one
//! order is decided beside them ([`crate::domain::may_move`]).

use opsflow_platform::auth::rbac::{Permission, ADMINS, EVERY_ROLE, WRITERS};

/// Read one's own orders.
pub const ORDERS_READ: Permission = Permission::new("orders.read", EVERY_ROLE);

/// Place orders and change one's own.
pub const ORDERS_PLACE: Permission = Permission::new("orders.place", WRITERS);

/// Read every order and make every move.
pub const ORDERS_MANAGE: Permission = Permission::new("orders.manage", ADMINS);
