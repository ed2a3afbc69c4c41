//! Keys of rules and their runs.

pub use opsflow_platform::store::keys::*;

use crate::domain::EntityId;

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
