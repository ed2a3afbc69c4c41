//! The detectors of queues, from one probe of every watched queue per
//! tick ([`QueueProbe`]: SQS's approximate counts, no message read):
//!
//! - `stalled_queue`: a work queue whose backlog (messages waiting to be
//!   received) has been there for [`STALL_AFTER`] without ever going down
//!   below where that stretch began: its consumer is down, failing or
//!   falling behind. It clears when the queue empties or drains below
//!   half of where the stretch began ([`observe`]).
//! - `dead_letters`: a dead-letter (or quarantine) queue that holds
//!   messages: work that failed every attempt and waits for someone to
//!   redrive it. It clears when the queue is empty.
//!
//! The stretch of a backlog is kept between ticks ([`Backlog`]); a gap of
//! more than [`PROBE_GAP`] between probes starts a new stretch, since
//! nothing says the queue stayed non-empty meanwhile.

use super::{factor, finding_insight, settle, Found, Subject};
use crate::domain::figures::{ramp, s, step_of};
use crate::store::{Backlog, FindingStore, InsightRecord, Store};
use opsflow_platform::pipeline::queues::{QueueDepth, QueueProbe};
use opsflow_platform::registry::SweepReport;
use opsflow_platform::store::StoreError;
use serde_json::json;
use time::{Duration, OffsetDateTime};

pub const STALLED_QUEUE: &str = "stalled_queue";
pub const DEAD_LETTERS: &str = "dead_letters";

/// How long a backlog may stay without going down before it is a finding.
pub const STALL_AFTER: Duration = Duration::minutes(5);
/// The longest time between two probes of one stretch.
pub const PROBE_GAP: Duration = Duration::minutes(3);

/// A probe of a work queue holding `visible` messages at `now`, after
/// `previous` (its stretch): the backlog to keep (none once the queue is
/// empty), and whether the queue is stalled. `held`: it was found
/// stalled before.
///
/// A new stretch starts where the backlog went down (below where the
/// stretch began), after a gap between probes, and where a stalled
/// queue cleared: so a stall is five minutes in which the backlog never
/// went down, and a queue that clears must stall five minutes again to
/// be raised again.
pub fn observe(
    previous: Option<&Backlog>,
    queue: &str,
    visible: u64,
    held: bool,
    now: OffsetDateTime,
) -> (Option<Backlog>, bool) {
    if visible == 0 {
        return (None, false);
    }
    let version = previous.map_or(1, |p| p.version + 1);
    let fresh = Backlog {
        queue: queue.to_owned(),
        visible,
        since: now,
        at_start: visible,
        observed_at: now,
        version,
    };
    let Some(previous) = previous.filter(|p| now - p.observed_at <= PROBE_GAP) else {
        return (Some(fresh), false);
    };
    let went_down = if held {
        // Cleared: below half of where it began.
        visible.saturating_mul(2) < previous.at_start
    } else {
        visible < previous.at_start
    };
    if went_down {
        return (Some(fresh), false);
    }
    let stalled = held || now - previous.since >= STALL_AFTER;
    let continued = Backlog {
        visible,
        observed_at: now,
        version,
        ..previous.clone()
    };
    (Some(continued), stalled)
}

/// The insight of a stalled work queue: its factors (how long, how many)
/// sum to its score.
fn stalled_insight(backlog: &Backlog, now: OffsetDateTime) -> InsightRecord {
    // Whole steps of five minutes, up to an hour.
    let minutes = ((now - backlog.since).whole_minutes() / 5 * 5).clamp(5, 60);
    let stall = factor(
        "stalled_minutes",
        json!(minutes),
        0.6,
        0.5 + 0.5 * ramp(minutes as f64, 5.0, 60.0),
        format!(
            "Its backlog has not gone down for {}{minutes} minutes.",
            if minutes == 60 { "over " } else { "" }
        ),
    );
    let waiting = step_of(backlog.visible);
    let size = factor(
        "backlog",
        json!(waiting),
        0.4,
        ramp((waiting as f64).log10(), 0.0, 4.0),
        format!(
            "At least {waiting} message{} wait to be received.",
            s(waiting)
        ),
    );
    let subject = Subject {
        detector: STALLED_QUEUE,
        entity: "queue",
        entity_id: &backlog.queue,
        workflow_id: None,
    };
    finding_insight(
        &subject,
        format!("Stalled queue: {}", backlog.queue),
        vec![stall, size],
        "Look at the queue's consumer function: its errors, throttles and logs. A consumer that cannot keep up needs more concurrency; a failing one sends its messages to the dead-letter queue once their attempts are spent.",
        now,
    )
}

/// The insight of a dead-letter queue that holds messages: one factor,
/// stronger with more of them.
fn dead_letter_insight(depth: &QueueDepth, now: OffsetDateTime) -> InsightRecord {
    let held = step_of(depth.total());
    let letters = factor(
        "dead_letters",
        json!(held),
        0.9,
        (5.0 + 4.0 * ramp((held as f64).log10(), 0.0, 3.0)) / 9.0,
        format!(
            "{} holds at least {held} message{} that could not be processed.",
            depth.queue.name,
            s(held)
        ),
    );
    let subject = Subject {
        detector: DEAD_LETTERS,
        entity: "queue",
        entity_id: &depth.queue.name,
        workflow_id: None,
    };
    finding_insight(
        &subject,
        format!("Dead letters: {}", depth.queue.name),
        vec![letters],
        "Read a few of its messages to learn why they failed (the consumer's logs name each), fix the cause, then redrive them to their queue (docs/operations.md). SQS keeps them 14 days.",
        now,
    )
}

/// One run of the queue detectors at `now`: each watched queue probed
/// once; a queue whose probe failed counts as failed and keeps its
/// findings as they were.
pub async fn sweep_queues(
    store: &Store,
    probe: &QueueProbe,
    now: OffsetDateTime,
    correlation_id: &str,
) -> Result<SweepReport, StoreError> {
    let depths = probe.depths().await;
    let backlogs = store.backlogs().await?;
    let held_stalled = store.findings(STALLED_QUEUE).await?;
    let held_dead = store.findings(DEAD_LETTERS).await?;
    let (mut stalled, mut dead) = (Found::default(), Found::default());
    let mut failed = 0;
    for (queue, depth) in probe.watched().iter().zip(depths) {
        let name = queue.name.clone();
        let depth = match depth {
            Ok(depth) => depth,
            Err(error) => {
                tracing::warn!(queue = %name, error = %error, "a queue could not be probed");
                stalled.unknown.insert(name.clone());
                dead.unknown.insert(name);
                failed += 1;
                continue;
            }
        };
        if queue.dead_letter {
            if depth.total() > 0 {
                dead.holding.insert(name, dead_letter_insight(&depth, now));
            }
            continue;
        }
        let previous = backlogs.iter().find(|b| b.queue == name);
        let held = held_stalled.iter().any(|f| f.subject == name);
        let (next, stalled_now) = observe(previous, &name, depth.visible, held, now);
        match store.replace_backlog(&name, previous, next.as_ref()).await {
            Ok(()) => {}
            // An overlapping tick probed it: that tick settles it.
            Err(StoreError::ConditionFailed) => {
                stalled.unknown.insert(name);
                continue;
            }
            Err(error) => {
                tracing::warn!(queue = %name, error = %error, "a backlog could not be kept");
                stalled.unknown.insert(name);
                failed += 1;
                continue;
            }
        }
        if let Some(backlog) = next.filter(|_| stalled_now) {
            stalled.holding.insert(name, stalled_insight(&backlog, now));
        }
    }
    // Backlogs of queues no longer watched are dropped with their stretch.
    for gone in backlogs
        .iter()
        .filter(|b| probe.watched().iter().all(|q| q.name != b.queue))
    {
        match store.replace_backlog(&gone.queue, Some(gone), None).await {
            Ok(()) | Err(StoreError::ConditionFailed) => {}
            Err(error) => return Err(error),
        }
    }
    let mut report = settle(
        store,
        STALLED_QUEUE,
        &held_stalled,
        stalled,
        correlation_id,
        now,
    )
    .await;
    let dead = settle(store, DEAD_LETTERS, &held_dead, dead, correlation_id, now).await;
    report.done += dead.done;
    report.skipped += dead.skipped;
    report.failed += dead.failed + failed;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RiskLevel;
    use opsflow_platform::pipeline::queues::WatchedQueue;

    fn at(minutes: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(1) + Duration::minutes(minutes)
    }

    /// Probes of one queue a minute apart, holding `counts`, raising and
    /// clearing as the sweep does: whether it was stalled after each, and
    /// the last backlog.
    fn probes(counts: &[u64]) -> (Vec<bool>, Option<Backlog>) {
        let (mut backlog, mut held): (Option<Backlog>, bool) = (None, false);
        let mut stalled = Vec::new();
        for (minute, &visible) in counts.iter().enumerate() {
            let (next, now_stalled) = observe(
                backlog.as_ref(),
                "app-audit",
                visible,
                held,
                at(minute as i64),
            );
            (backlog, held) = (next, now_stalled);
            stalled.push(now_stalled);
        }
        (stalled, backlog)
    }

    #[test]
    fn a_backlog_that_does_not_go_down_for_five_minutes_is_stalled() {
        let (stalled, last) = probes(&[3, 4, 3, 5, 6, 7]);
        assert_eq!(stalled, [false, false, false, false, false, true]);
        let last = last.unwrap();
        assert_eq!((last.since, last.at_start, last.version), (at(0), 3, 6));
        let insight = stalled_insight(&last, at(5));
        // 0.3 for five minutes, 0.07 for at least 5 messages.
        assert_eq!(insight.risk_score, 0.37);
        assert_eq!(insight.risk_level, RiskLevel::Medium);
        assert_eq!(insight.entity_id.as_deref(), Some("app-audit"));
    }

    #[test]
    fn a_backlog_that_went_down_starts_its_stretch_again() {
        // Down to 1 at minute 1: five more minutes from there.
        let (stalled, last) = probes(&[3, 1, 1, 1, 1, 3]);
        assert_eq!(stalled, [false; 6]);
        assert_eq!(last.unwrap().since, at(1));
        let (stalled, _) = probes(&[3, 1, 1, 1, 1, 3, 2]);
        assert_eq!(stalled.last(), Some(&true));
        let (draining, _) = probes(&[50, 40, 30, 20, 10, 9]);
        assert!(draining.iter().all(|s| !s));
        // Empty once: the stretch starts again.
        let (stalled, last) = probes(&[5, 6, 0, 7, 8, 9]);
        assert!(stalled.iter().all(|s| !s));
        assert_eq!(last.unwrap().since, at(3));
    }

    #[test]
    fn a_stalled_queue_clears_below_half_of_where_it_began_and_must_stall_again() {
        let (stalled, _) = probes(&[10, 10, 10, 10, 10, 10, 6, 5, 4, 10, 10, 10, 10, 10, 10]);
        assert_eq!(
            stalled,
            // Cleared at minute 8 (4 of 10), stalled again five minutes on.
            [
                false, false, false, false, false, true, true, true, false, false, false, false,
                false, true, true
            ]
        );
    }

    #[test]
    fn a_gap_between_probes_starts_a_new_stretch() {
        let (first, _) = observe(None, "q", 4, false, at(0));
        let (later, stalled) = observe(first.as_ref(), "q", 4, true, at(10));
        let later = later.unwrap();
        assert_eq!((later.since, later.version, stalled), (at(10), 2, false));
    }

    #[test]
    fn a_long_stall_of_many_messages_is_critical() {
        let backlog = Backlog {
            queue: "q".into(),
            visible: 12_000,
            since: at(0),
            at_start: 10,
            observed_at: at(90),
            version: 90,
        };
        let insight = stalled_insight(&backlog, at(90));
        assert_eq!(insight.risk_score, 1.0);
        assert_eq!(insight.risk_level, RiskLevel::Critical);
        assert!(
            insight.description.contains("over 60 minutes"),
            "{}",
            insight.description
        );
        assert!(insight.description.contains("At least 10000 messages"));
    }

    #[test]
    fn dead_letters_are_high_from_the_first_and_critical_from_two_hundred() {
        let depth = |visible| QueueDepth {
            queue: WatchedQueue::new("http://sqs.local/1/app-audit-dlq", true),
            visible,
            in_flight: 0,
            delayed: 0,
        };
        let scores: Vec<(f64, RiskLevel)> = [1, 10, 100, 200, 1500]
            .into_iter()
            .map(|n| dead_letter_insight(&depth(n), at(0)))
            .map(|i| (i.risk_score, i.risk_level))
            .collect();
        assert_eq!(
            scores,
            [
                (0.5, RiskLevel::High),
                (0.633, RiskLevel::High),
                (0.767, RiskLevel::High),
                (0.807, RiskLevel::Critical),
                (0.9, RiskLevel::Critical)
            ]
        );
    }
}
