//! Key layout of the single entity table. Every item's `pk`/`sk` (and
//! index keys) are built here and nowhere else; `README.md` beside this file
//! lists the access patterns they serve.

use crate::domain::{ApprovalStatus, Email, EntityId, Role, WorkflowStatus};

/// The sort key of items that are alone in their partition.
pub const USER_SK: &str = "USER";
pub const EMAIL_SK: &str = "EMAIL";
pub const SESSION_SK: &str = "SESSION";
pub const REFRESH_SK: &str = "REFRESH";
pub const RATE_SK: &str = "RATE";
pub const GATE_SK: &str = "GATE";
pub const EVENT_SK: &str = "EVENT";
pub const IDEMPOTENCY_SK: &str = "IDEMPOTENCY";
pub const WORKFLOW_SK: &str = "WORKFLOW";
pub const APPROVAL_SK: &str = "APPROVAL";
/// The count of a workflow's pending approvals, beside the workflow item.
pub const PENDING_SK: &str = "PENDING";

pub fn user_pk(id: &EntityId) -> String {
    format!("USER#{id}")
}

/// `gsi1`: every user, in id (= creation) order.
pub const USERS_GSI1PK: &str = "USERS";

pub fn user_gsi1sk(id: &EntityId) -> String {
    format!("USER#{id}")
}

/// `gsi2`: users of one role, in id order.
pub fn users_by_role_gsi2pk(role: Role) -> String {
    format!("USERS#ROLE#{role}")
}

pub fn workflow_pk(id: &EntityId) -> String {
    format!("WORKFLOW#{id}")
}

/// `gsi1`: every workflow; `gsi2`: workflows of one status. Both sort by id
/// (= creation).
pub const WORKFLOWS_GSI1PK: &str = "WORKFLOWS";

pub fn workflow_sort(id: &EntityId) -> String {
    format!("WORKFLOW#{id}")
}

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

/// The partition of approvals waiting on a role.
pub fn assigned_to_role_pk(role: Role) -> String {
    format!("ASSIGNED#ROLE#{role}")
}

/// The partition of approvals waiting on one named user.
pub fn assigned_to_user_pk(user: &EntityId) -> String {
    format!("ASSIGNED#USER#{user}")
}

pub const RULE_SK: &str = "RULE";

pub fn rule_pk(id: &EntityId) -> String {
    format!("RULE#{id}")
}

/// The sort key prefix of rule listings.
pub const RULE_SORT_PREFIX: &str = "RULE#";

/// `gsi1`: every rule, newest first by id.
pub const RULES_GSI1PK: &str = "RULES";

pub fn rule_gsi1sk(id: &EntityId) -> String {
    format!("{RULE_SORT_PREFIX}{id}")
}

/// `gsi2`: enabled or disabled rules, in priority order (then id), which is
/// the order the runner applies them in.
pub fn rules_by_state_gsi2pk(enabled: bool) -> String {
    if enabled {
        "RULES#ENABLED".into()
    } else {
        "RULES#DISABLED".into()
    }
}

pub fn rule_gsi2sk(priority: u16, id: &EntityId) -> String {
    format!("{RULE_SORT_PREFIX}{priority:04}#{id}")
}

/// The uniqueness guard of an e-mail address (DESIGN §3).
pub fn email_pk(email: &Email) -> String {
    format!("EMAIL#{email}")
}

pub fn session_pk(session_id: &str) -> String {
    format!("SESSION#{session_id}")
}

/// `gsi1`: the sessions of one user.
pub fn sessions_of_user_gsi1pk(user_id: &EntityId) -> String {
    format!("SESSIONS#USER#{user_id}")
}

/// Refresh tokens are found by the SHA-256 of their text.
pub fn refresh_pk(fingerprint: &str) -> String {
    format!("REFRESH#{fingerprint}")
}

/// A fixed-window counter: `scope` (`login-ip`, `login-email`), the
/// subject counted, and the window's index.
pub fn rate_pk(scope: &str, subject: &str, window: u64) -> String {
    format!("RATE#{scope}#{subject}#{window}")
}

/// The backoff gate of one subject (an account's password attempts).
pub fn gate_pk(scope: &str, subject: &str) -> String {
    format!("GATE#{scope}#{subject}")
}

/// An idempotency key within its scope (the route, and the caller when
/// authenticated), so one client's key never answers another's request.
pub fn idempotency_pk(scope: &str, key: &str) -> String {
    format!("IDEMPOTENCY#{scope}#{key}")
}

pub fn event_pk(id: &EntityId) -> String {
    format!("EVENT#{id}")
}

/// The runs of one event: one partition, so that the runs API lists them
/// with one `Query`. A run's `sk` is [`run_sk`]; beside it sits the
/// attempt counter of that run while it retries ([`run_attempt_sk`]).
pub fn runs_of_event_pk(event: &EntityId) -> String {
    format!("RUNS#EVENT#{event}")
}

/// The sort key prefix of the runs in an event's partition.
pub const RUN_OF_EVENT_PREFIX: &str = "RUN#";

pub fn run_sk(rule: &EntityId) -> String {
    format!("{RUN_OF_EVENT_PREFIX}{rule}")
}

pub fn run_attempt_sk(rule: &EntityId) -> String {
    format!("ATTEMPT#{rule}")
}

pub const RUN_SORT_PREFIX: &str = "RUN#";

/// `gsi1`: every run; `gsi2`: the runs of one rule. Both sort by start time
/// (`started` is fixed-width UTC, so text order is time order).
pub const RUNS_GSI1PK: &str = "RUNS";

pub fn runs_of_rule_gsi2pk(rule: &EntityId) -> String {
    format!("RUNS#RULE#{rule}")
}

pub fn run_sort(started: &str, event: &EntityId, rule: &EntityId) -> String {
    format!("{RUN_SORT_PREFIX}{started}#{event}#{rule}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_their_entity_prefix() {
        let id = EntityId::parse("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
        assert_eq!(user_pk(&id), "USER#01890a5d-ac96-774b-bcce-b302099a8057");
        assert_eq!(users_by_role_gsi2pk(Role::Approver), "USERS#ROLE#approver");
        let email = Email::parse("a@example.com").unwrap();
        assert_eq!(email_pk(&email), "EMAIL#a@example.com");
        assert_eq!(
            rate_pk("login-ip", "10.0.0.1", 7),
            "RATE#login-ip#10.0.0.1#7"
        );
    }
}
