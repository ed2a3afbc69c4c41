//! The detector of failing rules (`failing_rule`): a rule whose runs
//! failed [`FAILING_AT`] times or more over the last 15 to 30 minutes
//! (automation's failure tally,
//! [`opsflow_automation::service::failures`]). It clears once a rule has
//! no failed run in that span, so a rule that keeps failing now and then
//! stays one finding.

use super::{factor, finding_insight, settle, Found, Subject};
use crate::domain::figures::{ramp, s, step_of};
use crate::store::{FindingStore, InsightRecord, Store};
use opsflow_automation::service::failures::recent_rule_failures;
use opsflow_automation::store::failures::RuleFailures;
use opsflow_platform::registry::SweepReport;
use opsflow_platform::store::StoreError;
use serde_json::json;
use time::OffsetDateTime;

pub const FAILING_RULE: &str = "failing_rule";

/// Failed runs that make a rule a finding.
pub const FAILING_AT: u64 = 5;

/// Whether a rule with `failed` recent failed runs is failing; `held`: it
/// was found failing (it then clears only with no failure at all).
pub fn is_failing(failed: u64, held: bool) -> bool {
    failed >= if held { 1 } else { FAILING_AT }
}

/// The insight of a failing rule: MEDIUM at the threshold, HIGH from 20
/// failed runs, 0.7 from a hundred.
fn failing_insight(failures: &RuleFailures, now: OffsetDateTime) -> InsightRecord {
    let counted = step_of(failures.count);
    let mut explanation = format!(
        "At least {counted} run{} of this rule failed in the last half hour.",
        s(counted)
    );
    if !failures.last_reason.is_empty() {
        let reason: String = failures.last_reason.chars().take(200).collect();
        explanation.push_str(&format!(" The last: {reason}."));
    }
    let failed = factor(
        "failed_runs",
        json!(counted),
        0.7,
        (4.0 + 3.0 * ramp((counted as f64).log10(), (FAILING_AT as f64).log10(), 2.0)) / 7.0,
        explanation,
    );
    let rule_id = failures.rule_id.to_string();
    let subject = Subject {
        detector: FAILING_RULE,
        entity: "rule",
        entity_id: &rule_id,
        workflow_id: None,
    };
    finding_insight(
        &subject,
        format!("Failing rule: {}", failures.rule_name),
        vec![failed],
        "Open the rule's failed runs (GET /api/v1/automation/runs?rule_id=…&status=failed) to see which action fails and why; fix the action's target or disable the rule until it is fixed.",
        now,
    )
}

/// One run of the failing-rule detector at `now`.
pub async fn sweep_failing_rules(
    store: &Store,
    now: OffsetDateTime,
    correlation_id: &str,
) -> Result<SweepReport, StoreError> {
    let held = store.findings(FAILING_RULE).await?;
    let mut found = Found::default();
    for failures in recent_rule_failures(store, now).await? {
        let subject = failures.rule_id.to_string();
        let was_held = held.iter().any(|f| f.subject == subject);
        if is_failing(failures.count, was_held) {
            found
                .holding
                .insert(subject, failing_insight(&failures, now));
        }
    }
    Ok(settle(store, FAILING_RULE, &held, found, correlation_id, now).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RiskLevel;
    use opsflow_platform::domain::EntityId;

    #[test]
    fn a_rule_fails_at_five_and_clears_at_none() {
        assert!(!is_failing(4, false));
        assert!(is_failing(5, false));
        assert!(is_failing(1, true));
        assert!(!is_failing(0, true));
    }

    #[test]
    fn failing_rules_score_by_how_often() {
        let failures = |count| RuleFailures {
            rule_id: EntityId::new(),
            rule_name: "Notify finance".into(),
            count,
            last_reason: "action 0 (notify) failed: no such user".into(),
        };
        let scored: Vec<(f64, RiskLevel)> = [5, 30, 150]
            .into_iter()
            .map(|n| failing_insight(&failures(n), OffsetDateTime::UNIX_EPOCH))
            .map(|i| (i.risk_score, i.risk_level))
            .collect();
        assert_eq!(
            scored,
            [
                (0.4, RiskLevel::Medium),
                (0.539, RiskLevel::High),
                (0.7, RiskLevel::High)
            ]
        );
        let insight = failing_insight(&failures(7), OffsetDateTime::UNIX_EPOCH);
        assert!(insight.description.contains("no such user"));
        assert_eq!(insight.entity.as_deref(), Some("rule"));
    }
}
