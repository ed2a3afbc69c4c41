//! Keys of workflows, approvals, their decisions and the links that list
//! approvals by workflow, requester, assignee and status.

pub use opsflow_platform::store::keys::*;

use crate::domain::{ApprovalStatus, EntityId, Role, WorkflowStatus};

pub const WORKFLOW_SK: &str = "WORKFLOW";

pub const APPROVAL_SK: &str = "APPROVAL";

/// The count of a workflow's pending approvals, beside the workflow item.
pub const PENDING_SK: &str = "PENDING";

pub fn workflow_pk(id: &EntityId) -> String {
    format!("WORKFLOW#{id}")
}

/// `gsi1`: every workflow; `gsi2`: workflows of one status. Both sort by id
/// (= creation).
pub const WORKFLOWS_GSI1PK: &str = "WORKFLOWS";

pub fn workflow_sort(id: &EntityId) -> String {
    format!("{WORKFLOW_SORT_PREFIX}{id}")
}

pub const WORKFLOW_SORT_PREFIX: &str = "WORKFLOW#";

pub fn workflows_by_status_gsi2pk(status: WorkflowStatus) -> String {
    format!("WORKFLOWS#STATUS#{status}")
}

pub fn approval_pk(id: &EntityId) -> String {
    format!("APPROVAL#{id}")
}

/// The sort key of everything that lists approvals: the approval's own
/// index entries and its link items (by workflow, by requester, by
/// assignee). Ids are UUIDv7, so it sorts by filing time.
pub fn approval_sort(id: &EntityId) -> String {
    format!("{APPROVAL_SORT_PREFIX}{id}")
}

pub const APPROVAL_SORT_PREFIX: &str = "APPROVAL#";

/// `gsi1`: every approval; `gsi2`: approvals of one status.
pub const APPROVALS_GSI1PK: &str = "APPROVALS";

pub fn approvals_by_status_gsi2pk(status: ApprovalStatus) -> String {
    format!("APPROVALS#STATUS#{status}")
}

/// A decision, in the approval's partition: `DECISION#<step>#<approver>`,
/// so one approver decides a step at most once.
pub fn decision_sk(step: usize, approver: &EntityId) -> String {
    format!("DECISION#{step:02}#{approver}")
}

pub const DECISION_SK_PREFIX: &str = "DECISION#";
/// The sort key of an approval's risk, beside it.
pub const RISK_SK: &str = "RISK";

/// The partition of approvals waiting on a role.
pub fn assigned_to_role_pk(role: Role) -> String {
    format!("ASSIGNED#ROLE#{role}")
}

/// The partition of approvals waiting on one named user.
pub fn assigned_to_user_pk(user: &EntityId) -> String {
    format!("ASSIGNED#USER#{user}")
}

/// The deadlines of open steps are spread over this many partitions, so
/// that filing many requests at once writes no single hot key; a sweep
/// reads them all.
pub const ESCALATION_SHARDS: u32 = 4;

/// The partition of escalation deadlines `shard` (`0..ESCALATION_SHARDS`).
pub fn escalation_due_pk(shard: u32) -> String {
    format!("ESCALATION#DUE#{shard}")
}

/// The shard of approval `id`'s deadline.
pub fn escalation_shard(id: &EntityId) -> u32 {
    let last = id.to_string().chars().last().and_then(|c| c.to_digit(16));
    last.unwrap_or(0) % ESCALATION_SHARDS
}

/// A deadline's sort key: the due time in milliseconds since the epoch
/// (13 digits, so the keys sort by time), then the approval.
pub fn escalation_due_sk(due_millis: i64, id: &EntityId) -> String {
    format!("{due_millis:013}#{id}")
}

/// The sort key just above every deadline due at or before `millis`.
pub fn escalation_due_until(millis: i64) -> String {
    format!("{millis:013}$")
}
