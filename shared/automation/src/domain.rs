//! The domain types rules speak of: the kernel's, and the approval inputs
//! that rule actions parse.

pub use opsflow_approvals::domain::*;
