//! The tally of failed runs per rule, which the detector of failing rules
//! reads (the insights module, through `service::failures`).
//!
//! Items: one per rule and fixed window of [`FAILURE_WINDOW`] in which
//! one of its runs failed: `pk = RULE_FAILURES#<window index>`, `sk =
//! RULE#<rule id>`, with `count` (`ADD 1` by whoever recorded the failed
//! run, right after it: so a run counts once, however often its event
//! comes; a tally that fails is lost, never the run), the rule's name and
//! the last run's reason; it expires a day after its window ends.
//!
//! Access pattern: the rules that failed in a window: `Query
//! RULE_FAILURES#<window index>` (a few items: only rules that failed).

use super::{classify, n, s, Store, StoreError, StoreFuture};
use crate::domain::EntityId;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

/// The length of one window of the tally.
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);
/// How long a window's items outlive it.
const KEPT_AFTER: Duration = Duration::days(1);

fn window_index(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
        .div_euclid(FAILURE_WINDOW.whole_seconds())
}

fn failures_pk(index: i64) -> String {
    format!("RULE_FAILURES#{index}")
}

/// The failed runs of one rule in one window.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RuleFailures {
    pub rule_id: EntityId,
    pub rule_name: String,
    pub count: u64,
    /// Why its last counted run failed.
    #[serde(default)]
    pub last_reason: String,
}

/// Counts one failed run of `rule_id` at `at`.
pub async fn count_failure(
    store: &Store,
    rule_id: &EntityId,
    rule_name: &str,
    reason: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let index = window_index(at);
    let ends = (index + 1) * FAILURE_WINDOW.whole_seconds();
    let reason: String = reason.chars().take(500).collect();
    store
        .update_at(failures_pk(index), &format!("RULE#{rule_id}"))
        .update_expression(
            "ADD #count :one SET rule_id = :rule, rule_name = :name, last_reason = :reason, \
             expires_at = :expires, #type = :type",
        )
        .expression_attribute_names("#count", "count")
        .expression_attribute_names("#type", "type")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":rule", s(rule_id.to_string()))
        .expression_attribute_values(":name", s(rule_name))
        .expression_attribute_values(":reason", s(reason))
        .expression_attribute_values(":expires", n(ends + KEPT_AFTER.whole_seconds()))
        .expression_attribute_values(":type", s("rule_failures"))
        .send()
        .await
        .map_err(|e| classify(e, "UpdateItem"))?;
    Ok(())
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait FailureStore {
    /// The failed runs of each rule in the window of `at`.
    fn failures_in_window(&self, at: OffsetDateTime) -> impl StoreFuture<Vec<RuleFailures>>;
}

impl FailureStore for Store {
    async fn failures_in_window(
        &self,
        at: OffsetDateTime,
    ) -> Result<Vec<RuleFailures>, StoreError> {
        self.query_partition(&failures_pk(window_index(at)), None, false)
            .await
    }
}
