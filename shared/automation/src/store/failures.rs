//! The tally of failed runs per rule, which the detector of failing rules
//! reads (the insights module, through `service::failures`).
//!
//! Items: one per rule and fixed window of [`FAILURE_WINDOW`] in which
//! one of its runs failed: `pk = RULE_FAILURES#<window index>`, `sk =
//! RULE#<rule id>`, with `count` (`ADD 1`, in the transaction that records
//! the failed run, so a run counts once), the rule's name and the last
//! run's reason; it expires a day after its window ends.
//!
//! Access pattern: the rules that failed in a window: `Query
//! RULE_FAILURES#<window index>` (a few items: only rules that failed).

use super::{classify, from_item, n, s, Expr, Store, StoreError, StoreFuture};
use crate::domain::EntityId;
use aws_sdk_dynamodb::types::TransactWriteItem;
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

/// The write that counts one failed run of `rule_id` at `at`, to commit
/// with the run.
pub fn count_failure(
    store: &Store,
    rule_id: &EntityId,
    rule_name: &str,
    reason: &str,
    at: OffsetDateTime,
) -> Result<TransactWriteItem, StoreError> {
    let index = window_index(at);
    let ends = (index + 1) * FAILURE_WINDOW.whole_seconds();
    let reason: String = reason.chars().take(500).collect();
    let update = Expr::new(
        "ADD #count :one SET rule_id = :rule, rule_name = :name, last_reason = :reason, \
         expires_at = :expires, #type = :type",
    )
    .name("#count", "count")
    .name("#type", "type")
    .value(":one", n(1))
    .value(":rule", s(rule_id.to_string()))
    .value(":name", s(rule_name))
    .value(":reason", s(reason))
    .value(":expires", n(ends + KEPT_AFTER.whole_seconds()))
    .value(":type", s("rule_failures"));
    store.update(failures_pk(index), &format!("RULE#{rule_id}"), &update)
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
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(failures_pk(window_index(at))))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| classify(e, "Query"))?;
            for item in output.items.unwrap_or_default() {
                found.push(from_item(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }
}
