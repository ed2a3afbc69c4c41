//! The detector of failed sign-ins (`failed_logins`): logins refused for
//! bad credentials over the last five to ten minutes, across every
//! account and address (identity's tally,
//! [`opsflow_identity::service::signals`]). A burst is
//! [`BURST_AT`] or more; it clears below [`CLEARS_BELOW`], so a burst that
//! tails off is one finding, not several.
//!
//! Identity's throttles already slow each address and account down; this
//! finding tells a person that someone is trying passwords at scale
//! (credential stuffing, a misconfigured client hammering a login).

use super::{factor, finding_insight, settle, Found, Subject};
use crate::domain::figures::{ramp, step_of};
use crate::store::{FindingStore, InsightRecord, Store};
use opsflow_identity::service::signals::recent_failed_logins;
use opsflow_platform::registry::SweepReport;
use opsflow_platform::store::StoreError;
use serde_json::json;
use time::OffsetDateTime;

pub const FAILED_LOGINS: &str = "failed_logins";
/// The subject of the one finding this detector keeps.
const EVERYWHERE: &str = "all";

/// Failed sign-ins that make a burst, and the count it clears below.
pub const BURST_AT: u64 = 20;
pub const CLEARS_BELOW: u64 = 5;

/// Whether `failed` recent failures are a burst; `held`: one was found.
pub fn is_burst(failed: u64, held: bool) -> bool {
    failed >= if held { CLEARS_BELOW } else { BURST_AT }
}

/// The insight of a burst of `failed` failed sign-ins: MEDIUM at the
/// threshold, HIGH from about a hundred, CRITICAL by the thousand.
fn burst_insight(failed: u64, now: OffsetDateTime) -> InsightRecord {
    let counted = step_of(failed);
    let burst = factor(
        "failed_logins",
        json!(counted),
        0.8,
        (3.0 + 5.0 * ramp((counted as f64).log10(), (BURST_AT as f64).log10(), 3.0)) / 8.0,
        format!("At least {counted} sign-ins failed for bad credentials in the last ten minutes."),
    );
    let subject = Subject {
        detector: FAILED_LOGINS,
        entity: "login",
        entity_id: EVERYWHERE,
        workflow_id: None,
    };
    finding_insight(
        &subject,
        "Burst of failed sign-ins".into(),
        vec![burst],
        "Look at the auth function's logs for the source addresses and accounts (each refusal is logged; accounts that spent their attempts have a user.login_failures_exceeded audit record). Block abusive addresses upstream (AWS WAF) and tell the owners of targeted accounts.",
        now,
    )
}

/// One run of the failed sign-in detector at `now`.
pub async fn sweep_failed_logins(
    store: &Store,
    now: OffsetDateTime,
    correlation_id: &str,
) -> Result<SweepReport, StoreError> {
    let held = store.findings(FAILED_LOGINS).await?;
    let failed = recent_failed_logins(store, now).await?;
    let mut found = Found::default();
    if is_burst(failed, !held.is_empty()) {
        found
            .holding
            .insert(EVERYWHERE.into(), burst_insight(failed, now));
    }
    Ok(settle(store, FAILED_LOGINS, &held, found, correlation_id, now).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RiskLevel;

    #[test]
    fn a_burst_is_raised_at_twenty_and_clears_below_five() {
        assert!(!is_burst(19, false));
        assert!(is_burst(20, false));
        assert!(is_burst(5, true));
        assert!(!is_burst(4, true));
    }

    #[test]
    fn bursts_score_by_their_size() {
        let scores: Vec<(f64, RiskLevel)> = [20, 120, 2_000]
            .into_iter()
            .map(|n| burst_insight(n, OffsetDateTime::UNIX_EPOCH))
            .map(|i| (i.risk_score, i.risk_level))
            .collect();
        assert_eq!(
            scores,
            [
                (0.3, RiskLevel::Medium),
                (0.506, RiskLevel::High),
                (0.8, RiskLevel::Critical)
            ]
        );
    }
}
