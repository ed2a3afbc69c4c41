//! The detector of slow workflows: a workflow with requests waiting on a
//! step more than three times that step's usual time (at least five
//! minutes), read from the watches that are due
//! ([`crate::store::findings`]).

use super::{factor, finding_insight, settle, Found, Subject};
use crate::domain::figures::ramp;
use crate::domain::AmountHistory;
use crate::store::{
    FindingStore, InsightRecord, Scoring, StatisticsStore, Store, Watch, WorkflowStats,
};
use opsflow_platform::registry::SweepReport;
use opsflow_platform::store::{Entity, StoreError};
use serde_json::json;
use std::collections::BTreeMap;
use time::Duration;
use time::OffsetDateTime;

/// The detector of slow workflows.
pub const SLOW_WORKFLOW: &str = "slow_workflow";

/// How many times its usual time a step may take before its wait is
/// unusual, and the shortest wait that is ever unusual.
pub const SLOW_FACTOR: f64 = 3.0;
pub const SLOW_AT_LEAST: Duration = Duration::minutes(5);

/// The watch of `scoring`'s current step: when it will have taken
/// [`SLOW_FACTOR`] times the step's usual time (at least
/// [`SLOW_AT_LEAST`]); none once the approval is final or while the step
/// has fewer than 5 decided to tell its usual time.
pub(crate) fn watch_of(scoring: &Scoring, workflow: &WorkflowStats) -> Option<Watch> {
    if scoring.closed {
        return None;
    }
    let (usual, samples) = workflow.usual_step(scoring.step);
    let usual = usual.filter(|_| samples >= AmountHistory::MIN_HISTORY)?;
    let wait = Duration::seconds_f64((usual * SLOW_FACTOR).clamp(0.0, 86_400.0 * 365.0))
        .max(SLOW_AT_LEAST);
    Some(Watch {
        approval_id: scoring.approval_id,
        workflow_id: scoring.workflow_id.clone(),
        workflow_name: scoring.workflow_name.clone(),
        step: scoring.step,
        started_at: scoring.step_started_at,
        due_at: scoring.step_started_at + wait,
        usual_seconds: usual,
    })
}

/// What the detector finds about one workflow now.
#[derive(Debug, Clone)]
struct Slow {
    name: String,
    waiting: usize,
    /// The longest wait, in multiples of its step's usual time.
    worst: f64,
}

/// The insight a slow workflow raises, scored by how many wait and how
/// long the worst has waited: the factors sum to the score.
fn slow_insight(workflow_id: &str, slow: &Slow, now: OffsetDateTime) -> InsightRecord {
    let waiting = factor(
        "waiting_requests",
        json!(slow.waiting),
        0.6,
        ramp(slow.waiting as f64, 0.0, 5.0),
        format!(
            "{} request{} of this workflow wait{} on a step much longer than usual.",
            slow.waiting,
            if slow.waiting == 1 { "" } else { "s" },
            if slow.waiting == 1 { "s" } else { "" },
        ),
    );
    // Whole multiples up to ten: the score moves a few times an episode,
    // not every minute as the wait grows.
    let multiple = slow.worst.floor().min(10.0);
    let delay = factor(
        "delay",
        json!(multiple),
        0.4,
        ramp(multiple, 3.0, 10.0),
        format!(
            "The longest has waited {}{} times its step's usual time.",
            if slow.worst >= 10.0 { "over " } else { "" },
            multiple
        ),
    );
    let subject = Subject {
        detector: SLOW_WORKFLOW,
        entity: "workflow",
        entity_id: workflow_id,
        workflow_id: Some(workflow_id),
    };
    finding_insight(
        &subject,
        format!("Slow workflow: {}", slow.name),
        vec![waiting, delay],
        "Look at who its waiting steps are assigned to: add approvers, escalate, or set escalate_after on the step.",
        now,
    )
}

/// The workflows slow at `now`, from the watches that are due.
fn slow_workflows(due: &[Watch], now: OffsetDateTime) -> BTreeMap<String, Slow> {
    let mut slow: BTreeMap<String, Slow> = BTreeMap::new();
    for watch in due {
        let waited = (now - watch.started_at).as_seconds_f64();
        // A usual time under a second counts as a second.
        let ratio = waited / watch.usual_seconds.max(1.0);
        let entry = slow.entry(watch.workflow_id.clone()).or_insert(Slow {
            name: watch.workflow_name.clone(),
            waiting: 0,
            worst: 0.0,
        });
        entry.waiting += 1;
        entry.worst = entry.worst.max(ratio);
    }
    slow
}

/// One run of the slow-workflow detector at `now` ([`settle`]).
pub async fn sweep_slow_workflows(
    store: &Store,
    now: OffsetDateTime,
    correlation_id: &str,
) -> Result<SweepReport, StoreError> {
    let due = current_watches(store, store.due_watches(now).await?).await?;
    let held = store.findings(SLOW_WORKFLOW).await?;
    let found = Found {
        holding: slow_workflows(&due, now)
            .iter()
            .map(|(id, slow)| (id.clone(), slow_insight(id, slow, now)))
            .collect(),
        unknown: Default::default(),
    };
    Ok(settle(store, SLOW_WORKFLOW, &held, found, correlation_id, now).await)
}

/// Of `due`, the watches that still stand for their approval's scoring;
/// one left behind (its approval moved on without its event applying) is
/// removed.
async fn current_watches(store: &Store, due: Vec<Watch>) -> Result<Vec<Watch>, StoreError> {
    let mut current = Vec::with_capacity(due.len());
    for watch in due {
        let scoring = store.scoring(&watch.approval_id).await?;
        if scoring.and_then(|s| s.watch).as_ref() == Some(&watch) {
            current.push(watch);
        } else {
            let keys = watch.keys();
            store
                .transact(vec![store.delete(keys.pk, &keys.sk, None)?])
                .await?;
        }
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RiskLevel;
    use opsflow_platform::domain::EntityId;

    #[test]
    fn a_slow_workflows_factors_sum_to_its_score() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1);
        let watch = |n: u8, waited_minutes: i64| Watch {
            approval_id: EntityId::derived(0, &[&[n]]),
            workflow_id: "wf".into(),
            workflow_name: "Purchases".into(),
            step: 0,
            started_at: now - time::Duration::minutes(waited_minutes),
            due_at: now,
            usual_seconds: 60.0,
        };
        let slow = slow_workflows(&[watch(1, 6), watch(2, 30)], now);
        let found = &slow["wf"];
        assert_eq!((found.waiting, found.worst), (2, 30.0));
        let insight = slow_insight("wf", found, now);
        let sum: f64 = insight.factors.iter().map(|f| f.contribution).sum();
        assert!((sum - insight.risk_score).abs() < 1e-9);
        assert_eq!(insight.risk_score, 0.64);
        assert_eq!(insight.risk_level, RiskLevel::High);
        assert!(
            insight.description.contains("2 requests"),
            "{}",
            insight.description
        );
    }
}
