//! Operational detectors, run by the scheduler: each finding is an
//! insight, raised once while its condition holds ([`Finding`]), kept up
//! to date, and resolved by the detector when the condition clears. A
//! person may resolve it sooner; it is then left alone until the
//! condition clears, and raised anew if it comes back after that.
//!
//! - `slow_workflow`: a workflow with requests waiting on a step more than
//!   three times that step's usual time (at least five minutes), read
//!   from the watches that are due ([`crate::store::findings`]).

use super::InsightsError;
use crate::domain::figures::{ramp, round_to};
use crate::domain::insight::InsightStatus;
use crate::domain::AmountHistory;
use crate::domain::{Factor, RiskLevel};
use crate::events::{self, Actor};
use crate::store::{
    Finding, FindingStore, InsightRecord, InsightStore, Scoring, StatisticsStore, Store, Watch,
    WorkflowStats,
};
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::SweepReport;
use opsflow_platform::store::{entity_item, s, Entity, Expr, StoreError, Transaction};
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
    let waiting = Factor {
        name: "waiting_requests".into(),
        value: json!(slow.waiting),
        weight: 0.6,
        contribution: round_to(0.6 * ramp(slow.waiting as f64, 0.0, 5.0), 3),
        explanation: format!(
            "{} request{} of this workflow wait{} on a step much longer than usual.",
            slow.waiting,
            if slow.waiting == 1 { "" } else { "s" },
            if slow.waiting == 1 { "s" } else { "" },
        ),
    };
    // Whole multiples up to ten: the score moves a few times an episode,
    // not every minute as the wait grows.
    let multiple = slow.worst.floor().min(10.0);
    let delay = Factor {
        name: "delay".into(),
        value: json!(multiple),
        weight: 0.4,
        contribution: round_to(0.4 * ramp(multiple, 3.0, 10.0), 3),
        explanation: format!(
            "The longest has waited {}{} times its step's usual time.",
            if slow.worst >= 10.0 { "over " } else { "" },
            multiple
        ),
    };
    let score = round_to(waiting.contribution + delay.contribution, 3);
    InsightRecord {
        id: EntityId::new(),
        source: SLOW_WORKFLOW.into(),
        title: format!("Slow workflow: {}", slow.name),
        description: format!("{} {}", waiting.explanation, delay.explanation),
        recommendation: "Look at who its waiting steps are assigned to: add approvers, escalate, or set escalate_after on the step.".into(),
        risk_level: RiskLevel::of(score),
        risk_score: score,
        factors: vec![waiting, delay],
        workflow_id: Some(workflow_id.to_owned()),
        entity: Some("workflow".into()),
        entity_id: Some(workflow_id.to_owned()),
        status: InsightStatus::Open,
        note: String::new(),
        created_at: now,
        updated_at: now,
        resolved_at: None,
        version: 1,
    }
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

/// One run of the slow-workflow detector at `now`: `done` counts the
/// insights raised, changed or resolved; `skipped` the findings that
/// needed nothing; `failed` those the next run tries again.
pub async fn sweep_slow_workflows(
    store: &Store,
    now: OffsetDateTime,
    correlation_id: &str,
) -> Result<SweepReport, StoreError> {
    let due = current_watches(store, store.due_watches(now).await?).await?;
    let slow = slow_workflows(&due, now);
    let held = store.findings(SLOW_WORKFLOW).await?;
    let mut report = SweepReport::default();
    let mut tally = |outcome: Result<bool, InsightsError>| match outcome {
        Ok(true) => report.done += 1,
        Ok(false) => report.skipped += 1,
        Err(error) => {
            tracing::warn!(error = %error, "a finding failed");
            report.failed += 1;
        }
    };
    for (workflow_id, found) in &slow {
        let finding = held.iter().find(|f| &f.subject == workflow_id);
        let candidate = slow_insight(workflow_id, found, now);
        tally(raise(store, finding, candidate, correlation_id, now).await);
    }
    for finding in held.iter().filter(|f| !slow.contains_key(&f.subject)) {
        tally(clear(store, finding, correlation_id, now).await);
    }
    Ok(report)
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

/// Raises `candidate` for a condition that holds, or brings the insight
/// already raised for it up to date; whether it wrote anything.
async fn raise(
    store: &Store,
    finding: Option<&Finding>,
    candidate: InsightRecord,
    correlation_id: &str,
    now: OffsetDateTime,
) -> Result<bool, InsightsError> {
    let Some(finding) = finding else {
        let finding = Finding {
            detector: candidate.source.clone(),
            subject: candidate.entity_id.clone().unwrap_or_default(),
            insight_id: candidate.id,
        };
        let event = events::insight_created(&candidate, Actor::system(), correlation_id, None);
        let mut tx = Transaction::new();
        let guard = tx.add(store.put(
            entity_item(&finding)?,
            Some(("attribute_not_exists(pk)", Vec::new())),
        )?);
        tx.add(store.put(
            entity_item(&candidate)?,
            Some(("attribute_not_exists(pk)", Vec::new())),
        )?);
        tx.add(store.put(events::OutboxItem::new(&event)?.to_item()?, None)?);
        return match store.commit(tx).await {
            Ok(()) => Ok(true),
            // An overlapping run raised it first.
            Err(error) if error.failed(guard) => Ok(false),
            Err(error) => Err(error.into()),
        };
    };
    let Some(stored) = store.insight_by_id(&finding.insight_id).await? else {
        return Ok(false);
    };
    // The same score and the same requests waiting: no new event every
    // minute only because the wait grew.
    let waiting = |record: &InsightRecord| record.factors.first().and_then(|f| f.value.as_f64());
    let unchanged =
        stored.risk_score == candidate.risk_score && waiting(&stored) == waiting(&candidate);
    if stored.status.is_resolved() || unchanged {
        return Ok(false);
    }
    let mut next = stored.clone();
    next.risk_score = candidate.risk_score;
    next.risk_level = candidate.risk_level;
    next.factors = candidate.factors;
    next.description = candidate.description;
    next.version += 1;
    next.updated_at = now;
    let event = events::insight_changed(&stored, &next, Actor::system(), correlation_id, None);
    match store
        .replace_versioned(
            entity_item(&next)?,
            stored.version,
            Vec::new(),
            Some(&event),
        )
        .await
    {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Resolves the insight of a condition that cleared and forgets the
/// finding; whether it wrote anything.
async fn clear(
    store: &Store,
    finding: &Finding,
    correlation_id: &str,
    now: OffsetDateTime,
) -> Result<bool, InsightsError> {
    let keys = finding.keys();
    // Only this finding: an overlapping run may have raised a new one.
    let mine = Expr::new("insight_id = :id").value(":id", s(finding.insight_id.to_string()));
    let forget = store.delete(keys.pk, &keys.sk, Some(&mine))?;
    let stored = store.insight_by_id(&finding.insight_id).await?;
    let Some(stored) = stored.filter(|s| !s.status.is_resolved()) else {
        return match store.transact(vec![forget]).await {
            Ok(()) => Ok(true),
            Err(StoreError::TransactionCancelled(_) | StoreError::ConditionFailed) => Ok(false),
            Err(error) => Err(error.into()),
        };
    };
    let mut next = stored.clone();
    next.status = InsightStatus::Resolved;
    next.resolved_at = Some(now);
    next.note = "The condition cleared.".into();
    next.version += 1;
    next.updated_at = now;
    let event = events::insight_changed(&stored, &next, Actor::system(), correlation_id, None);
    match store
        .replace_versioned(
            entity_item(&next)?,
            stored.version,
            vec![forget],
            Some(&event),
        )
        .await
    {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
