//! Operational detectors, run by the scheduler: each finding is an
//! insight, raised once while its condition holds ([`Finding`]), kept up
//! to date, and resolved by the detector when the condition clears. A
//! person may resolve it sooner; it is then left alone until the
//! condition clears, and raised anew if it comes back after that.
//!
//! - [`slow`]: a workflow with requests waiting on a step much longer
//!   than usual.
//! - [`queues`]: a work queue whose backlog stalls; a dead-letter queue
//!   that is not empty.
//! - [`logins`]: a burst of failed sign-ins.
//! - [`rules`]: a rule whose runs fail again and again.
//!
//! A detector says which subjects hold now ([`Found`]), knowing which it
//! holds already (so a condition can clear at a lower mark than it is
//! raised at); [`settle`] raises, updates and resolves. An insight changes
//! only when its score or a factor's value changes, and the factors show
//! counts in steps ([`crate::domain::figures::step_of`]), so a finding
//! that lasts makes a few events, not one a minute.

pub mod logins;
pub mod queues;
pub mod rules;
pub mod slow;

pub(crate) use slow::watch_of;
pub use slow::{sweep_slow_workflows, SLOW_WORKFLOW};

use super::manage::replace_insight;
use super::InsightsError;
use crate::domain::figures::round_to;
use crate::domain::insight::InsightStatus;
use crate::domain::{Factor, RiskLevel};
use crate::events::{self, Actor};
use crate::store::{Finding, InsightRecord, InsightStore, Store};
use opsflow_platform::domain::EntityId;
use opsflow_platform::registry::SweepReport;
use opsflow_platform::store::{entity_item, s, Entity, Expr, StoreError, Transaction};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// What a detector found in one run.
#[derive(Debug, Default)]
pub struct Found {
    /// The insight of each subject whose condition holds, by subject.
    pub holding: BTreeMap<String, InsightRecord>,
    /// Subjects whose state could not be read this run: their findings
    /// stay as they are.
    pub unknown: BTreeSet<String>,
}

/// A factor of a finding: `strength` (0..=1) of `weight`.
pub(crate) fn factor(
    name: &str,
    value: Value,
    weight: f64,
    strength: f64,
    explanation: String,
) -> Factor {
    Factor {
        name: name.into(),
        value,
        weight,
        contribution: round_to(weight * strength.clamp(0.0, 1.0), 3),
        explanation,
    }
}

/// What a finding is about.
pub(crate) struct Subject<'a> {
    /// The detector's name, the insight's `source`.
    pub detector: &'a str,
    /// `queue`, `rule`, `workflow`, `login`.
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub workflow_id: Option<&'a str>,
}

/// The open insight of a finding: its score is the sum of its factors'
/// contributions, its description their sentences.
pub(crate) fn finding_insight(
    subject: &Subject<'_>,
    title: String,
    factors: Vec<Factor>,
    recommendation: &str,
    now: OffsetDateTime,
) -> InsightRecord {
    let score = round_to(factors.iter().map(|f| f.contribution).sum::<f64>(), 3).min(1.0);
    let description = factors
        .iter()
        .map(|f| f.explanation.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    InsightRecord {
        id: EntityId::new(),
        source: subject.detector.into(),
        title,
        description,
        recommendation: recommendation.into(),
        risk_level: RiskLevel::of(score),
        risk_score: score,
        factors,
        workflow_id: subject.workflow_id.map(str::to_owned),
        entity: Some(subject.entity.into()),
        entity_id: Some(subject.entity_id.into()),
        status: InsightStatus::Open,
        note: String::new(),
        created_at: now,
        updated_at: now,
        resolved_at: None,
        version: 1,
    }
}

/// Brings `detector`'s findings in line with `found`: raises what holds
/// and was not raised, updates what changed, resolves what `held` and no
/// longer holds (unless unknown). `done` counts the insights raised,
/// changed or resolved; `skipped` those that needed nothing; `failed`
/// those the next run tries again.
pub(crate) async fn settle(
    store: &Store,
    detector: &str,
    held: &[Finding],
    found: Found,
    correlation_id: &str,
    now: OffsetDateTime,
) -> SweepReport {
    let mut report = SweepReport::default();
    let mut tally = |outcome: Result<bool, InsightsError>| match outcome {
        Ok(true) => report.done += 1,
        Ok(false) => report.skipped += 1,
        Err(error) => {
            tracing::warn!(detector, error = %error, "a finding failed");
            report.failed += 1;
        }
    };
    let cleared = held
        .iter()
        .filter(|f| !found.holding.contains_key(&f.subject) && !found.unknown.contains(&f.subject));
    for finding in cleared {
        tally(clear(store, finding, correlation_id, now).await);
    }
    for (subject, candidate) in found.holding {
        let finding = held.iter().find(|f| f.subject == subject);
        tally(raise(store, finding, &subject, candidate, correlation_id, now).await);
    }
    report
}

/// Raises `candidate` for a condition that holds, or brings the insight
/// already raised for it up to date; whether it wrote anything.
async fn raise(
    store: &Store,
    finding: Option<&Finding>,
    subject: &str,
    candidate: InsightRecord,
    correlation_id: &str,
    now: OffsetDateTime,
) -> Result<bool, InsightsError> {
    let Some(finding) = finding else {
        let finding = Finding {
            detector: candidate.source.clone(),
            subject: subject.to_owned(),
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
    // The same score and the same figures: no new event only because time
    // went by. Numbers compare by value (a stored 10.0 reads back as 10).
    let values = |record: &InsightRecord| {
        record
            .factors
            .iter()
            .map(|f| {
                f.value
                    .as_f64()
                    .map_or_else(|| f.value.to_string(), |x| x.to_string())
            })
            .collect::<Vec<_>>()
    };
    let unchanged =
        stored.risk_score == candidate.risk_score && values(&stored) == values(&candidate);
    if stored.status.is_resolved() || unchanged {
        return Ok(false);
    }
    let mut next = stored.clone();
    next.risk_score = candidate.risk_score;
    next.risk_level = candidate.risk_level;
    next.factors = candidate.factors;
    next.description = candidate.description;
    let written = replace_insight(
        store,
        &stored,
        next,
        now,
        Actor::system(),
        correlation_id,
        Vec::new(),
    );
    Ok(written.await?.is_some())
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
    let written = replace_insight(
        store,
        &stored,
        next,
        now,
        Actor::system(),
        correlation_id,
        vec![forget],
    );
    Ok(written.await?.is_some())
}
