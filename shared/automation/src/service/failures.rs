//! Rules that fail again and again, for the platform's detectors: the
//! failed runs of each rule over the last 15 to 30 minutes (the failure
//! tally's window of now and the one before, [`crate::store::failures`]).

use crate::store::failures::{FailureStore, RuleFailures, FAILURE_WINDOW};
use crate::store::{Store, StoreError};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Each rule with failed runs lately, with their number (the last
/// window's name and reason), by rule id.
pub async fn recent_rule_failures(
    store: &Store,
    now: OffsetDateTime,
) -> Result<Vec<RuleFailures>, StoreError> {
    let (previous, current) = futures::try_join!(
        store.failures_in_window(now - FAILURE_WINDOW),
        store.failures_in_window(now),
    )?;
    let mut by_rule: BTreeMap<String, RuleFailures> = BTreeMap::new();
    for failures in previous.into_iter().chain(current) {
        by_rule
            .entry(failures.rule_id.to_string())
            .and_modify(|sum| {
                sum.count += failures.count;
                sum.rule_name.clone_from(&failures.rule_name);
                sum.last_reason.clone_from(&failures.last_reason);
            })
            .or_insert(failures);
    }
    Ok(by_rule.into_values().collect())
}
