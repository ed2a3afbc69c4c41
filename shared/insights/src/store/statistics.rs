//! The running statistics the scorer reads, and each approval's scoring.
//! Statistics only ever move by `ADD`, in the same transaction as the
//! mark of the event that moved them (a put on the condition that it is
//! absent): a redelivered event finds its mark, and nothing moves twice.
//! The mark keeps the event's follow-up (the risk to record, the insight
//! to raise or resolve), so a redelivery after the statistics committed
//! still finishes the work.

use crate::domain::{AmountHistory, Context, RequesterHistory, Risk};
use crate::store::findings::Watch;
use opsflow_platform::domain::EntityId;
use opsflow_platform::store::{
    classify, entity_item, n, s, Entity, Item, Store, StoreError, StoreFuture,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::{Duration, OffsetDateTime};

/// How long an event's mark is kept: past the longest an event can wait
/// to be processed again (14 days in the dead-letter queue).
const MARKED_FOR: Duration = Duration::days(15);
/// How long a requester's hour is kept.
pub(super) const HOUR_KEPT: Duration = Duration::days(2);

pub(super) const STATS_SK: &str = "STATS";
const SCORING_SK: &str = "SCORING";
const SEEN_SK: &str = "SEEN";

pub(super) fn workflow_pk(id: &str) -> String {
    format!("INSIGHTS#WORKFLOW#{id}")
}

pub(super) fn requester_pk(id: &str) -> String {
    format!("INSIGHTS#REQUESTER#{id}")
}

fn scoring_pk(id: &EntityId) -> String {
    format!("INSIGHTS#APPROVAL#{id}")
}

fn mark_pk(event_id: &EntityId) -> String {
    format!("INSIGHTS#EVENT#{event_id}")
}

/// The hour `at` falls in, as its sort key (`HOUR#YYYY-MM-DDTHH`).
pub(super) fn hour_sk(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "HOUR#{:04}-{:02}-{:02}T{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour()
    )
}

/// What a workflow's requests showed so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkflowStats {
    pub requests: u64,
    pub amounts: AmountHistory,
    pub fields: BTreeSet<String>,
    /// By step index: how many were decided, and their seconds in all.
    pub steps: BTreeMap<usize, (u64, f64)>,
}

impl WorkflowStats {
    /// The usual seconds of step `step` and how many it was seen.
    pub fn usual_step(&self, step: usize) -> (Option<f64>, u64) {
        match self.steps.get(&step) {
            Some((count, total)) if *count > 0 => (Some(total / *count as f64), *count),
            _ => (None, 0),
        }
    }
}

/// One move of the statistics.
#[derive(Debug, Clone, PartialEq)]
pub enum StatDelta {
    /// A request filed on a workflow: its amount, its payload's fields.
    /// It was scored against `seen_requests` earlier requests of the
    /// workflow and `seen_filed` of the requester: the move is made only
    /// while those still stand, so two requests scored at once are scored
    /// one after the other, never both against the same history.
    Filed {
        workflow_id: String,
        requester_id: String,
        seen_requests: u64,
        seen_filed: u64,
        amount: Option<f64>,
        fields: Vec<String>,
        at: OffsetDateTime,
    },
    /// A step of a workflow decided after `seconds`.
    StepDecided {
        workflow_id: String,
        step: usize,
        seconds: f64,
    },
    /// A requester's request became final: approved or rejected.
    Concluded {
        requester_id: String,
        rejected: bool,
    },
}

/// An approval's scoring: what it was scored from and where it stands.
/// Events of one approval apply in the order of the approval's versions:
/// one no newer than `version_applied` changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scoring {
    pub approval_id: EntityId,
    pub workflow_id: String,
    pub requester_id: String,
    pub title: String,
    /// When the approval was filed (its insight's id derives from it).
    #[serde(with = "time::serde::rfc3339")]
    pub filed_at: OffsetDateTime,
    pub context: Context,
    /// The step being decided, and since when.
    pub step: usize,
    #[serde(with = "time::serde::rfc3339")]
    pub step_started_at: OffsetDateTime,
    /// The approval's status after the last event applied.
    pub status: String,
    /// Whether the approval is final (approved, rejected or withdrawn).
    pub closed: bool,
    pub risk: Risk,
    /// When the change last applied happened (the risk's `scored_at`).
    #[serde(with = "time::serde::rfc3339")]
    pub scored_at: OffsetDateTime,
    /// The approval's version in the last event applied.
    pub version_applied: u64,
    /// The chain of the last event applied: what the scoring's own
    /// events continue (one level deeper).
    pub correlation_id: String,
    pub depth: u32,
    /// The workflow's name when the approval was filed.
    #[serde(default)]
    pub workflow_name: String,
    /// When its current step's wait becomes unusual, if its step has a
    /// usual time ([`crate::store::findings`]).
    #[serde(default)]
    pub watch: Option<Watch>,
    /// This item's own version.
    pub version: u64,
}

/// What an event left to do once its statistics moved: bring the
/// approval's risk and insight in line with its scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub approval_id: EntityId,
}

/// What committing an event's statistics found.
#[derive(Debug, Clone, PartialEq)]
pub enum Committed {
    /// Moved now.
    Now,
    /// The event moved them before; here is the follow-up it recorded.
    Before(Box<Mark>),
    /// The scoring or the statistics it was read from moved on meanwhile
    /// (another event of the approval, another request of the workflow or
    /// the requester): nothing was written; read again and retry.
    Raced,
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait StatisticsStore {
    fn workflow_stats(&self, workflow_id: &str) -> impl StoreFuture<WorkflowStats>;

    /// The requester's statistics, with their requests of the 24 hours
    /// before `now`.
    fn requester_history(
        &self,
        requester_id: &str,
        now: OffsetDateTime,
    ) -> impl StoreFuture<RequesterHistory>;

    fn scoring(&self, approval_id: &EntityId) -> impl StoreFuture<Option<Scoring>>;

    fn mark(&self, event_id: &EntityId) -> impl StoreFuture<Option<Mark>>;

    /// Marks `event_id` with `mark`, applies `deltas` and stores `scoring`
    /// (over `previous`, the scoring as read, or new) with its watch in
    /// place of the one it had, in one transaction.
    fn commit_event(
        &self,
        event_id: &EntityId,
        mark: &Mark,
        deltas: &[StatDelta],
        scoring: &Scoring,
        previous: Option<&Scoring>,
        now: OffsetDateTime,
    ) -> impl StoreFuture<Committed>;
}

fn number(item: &Item, name: &str) -> f64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn count(item: &Item, name: &str) -> u64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn json_of<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(e.into()))
}

fn from_json<T: for<'de> Deserialize<'de>>(item: &Item, name: &str) -> Result<T, StoreError> {
    let text = item
        .get(name)
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| StoreError::Other(anyhow::anyhow!("{name} is missing")))?;
    serde_json::from_str(text).map_err(|e| StoreError::Other(e.into()))
}

impl StatisticsStore for Store {
    async fn workflow_stats(&self, workflow_id: &str) -> Result<WorkflowStats, StoreError> {
        let Some(item) = self.get_item(workflow_pk(workflow_id), STATS_SK).await? else {
            return Ok(WorkflowStats::default());
        };
        let mut stats = WorkflowStats {
            requests: count(&item, "requests"),
            ..WorkflowStats::default()
        };
        for (name, _) in item.iter() {
            if let Some(bucket) = name.strip_prefix('a').and_then(|b| b.parse::<u32>().ok()) {
                stats.amounts.buckets.insert(bucket, count(&item, name));
            }
        }
        for step in 0..10 {
            let (n_name, t_name) = super::deltas::step_names(step);
            let seen = count(&item, n_name);
            if seen > 0 {
                stats.steps.insert(step, (seen, number(&item, t_name)));
            }
        }
        if let Some(fields) = item.get("fields").and_then(|v| v.as_ss().ok()) {
            stats.fields = fields.iter().cloned().collect();
        }
        Ok(stats)
    }

    async fn requester_history(
        &self,
        requester_id: &str,
        now: OffsetDateTime,
    ) -> Result<RequesterHistory, StoreError> {
        let pk = requester_pk(requester_id);
        let (totals, hours) = tokio::try_join!(self.get_item(pk.clone(), STATS_SK), async {
            self.client()
                .query()
                .table_name(self.table())
                .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":first", s(hour_sk(now - Duration::hours(23))))
                .expression_attribute_values(":last", s(hour_sk(now)))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| classify(e, "Query"))
        })?;
        let totals = totals.unwrap_or_default();
        let filed_last_day = hours.items().iter().map(|hour| count(hour, "count")).sum();
        Ok(RequesterHistory {
            filed: count(&totals, "filed"),
            decided: count(&totals, "decided"),
            rejected: count(&totals, "rejected"),
            filed_last_day,
        })
    }

    async fn scoring(&self, approval_id: &EntityId) -> Result<Option<Scoring>, StoreError> {
        match self.get_item(scoring_pk(approval_id), SCORING_SK).await? {
            Some(item) => from_json(&item, "scoring").map(Some),
            None => Ok(None),
        }
    }

    async fn mark(&self, event_id: &EntityId) -> Result<Option<Mark>, StoreError> {
        match self.get_item(mark_pk(event_id), SEEN_SK).await? {
            Some(item) => from_json(&item, "mark").map(Some),
            None => Ok(None),
        }
    }

    async fn commit_event(
        &self,
        event_id: &EntityId,
        mark: &Mark,
        deltas: &[StatDelta],
        scoring: &Scoring,
        previous: Option<&Scoring>,
        now: OffsetDateTime,
    ) -> Result<Committed, StoreError> {
        let mark_item = Item::from([
            ("pk".to_owned(), s(mark_pk(event_id))),
            ("sk".to_owned(), s(SEEN_SK)),
            ("type".to_owned(), s("insights_mark")),
            ("mark".to_owned(), s(json_of(mark)?)),
            (
                "expires_at".to_owned(),
                n((now + MARKED_FOR).unix_timestamp()),
            ),
        ]);
        let scoring_item = Item::from([
            ("pk".to_owned(), s(scoring_pk(&scoring.approval_id))),
            ("sk".to_owned(), s(SCORING_SK)),
            ("type".to_owned(), s("insights_scoring")),
            ("scoring".to_owned(), s(json_of(scoring)?)),
            ("version".to_owned(), n(scoring.version)),
        ]);
        let mut items = vec![self.put(mark_item, Some(("attribute_not_exists(pk)", Vec::new())))?];
        let scoring_condition = match previous {
            None => ("attribute_not_exists(pk)", Vec::new()),
            Some(held) => ("version = :expected", vec![(":expected", n(held.version))]),
        };
        items.push(self.put(scoring_item, Some(scoring_condition))?);
        let old_watch = previous.and_then(|held| held.watch.as_ref());
        if old_watch != scoring.watch.as_ref() {
            let new_key = scoring.watch.as_ref().map(Entity::keys);
            if let Some(old) = old_watch.map(Entity::keys) {
                if new_key.as_ref().map(|k| (&k.pk, &k.sk)) != Some((&old.pk, &old.sk)) {
                    items.push(self.delete(old.pk, &old.sk, None)?);
                }
            }
            if let Some(watch) = &scoring.watch {
                items.push(self.put(entity_item(watch)?, None)?);
            }
        }
        for delta in deltas {
            items.extend(super::deltas::delta_items(self, delta)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(Committed::Now),
            Err(error) if error.failed_condition_at(0) => match self.mark(event_id).await? {
                Some(mark) => Ok(Committed::Before(Box::new(mark))),
                None => Ok(Committed::Raced),
            },
            // The scoring or the history it was read from moved meanwhile.
            Err(StoreError::TransactionCancelled(reasons))
                if reasons
                    .iter()
                    .any(|r| r == "ConditionalCheckFailed" || r == "TransactionConflict") =>
            {
                Ok(Committed::Raced)
            }
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_sort_as_time() {
        let at = time::macros::datetime!(2026-03-04 05:06 UTC);
        assert_eq!(hour_sk(at), "HOUR#2026-03-04T05");
        assert!(hour_sk(at) < hour_sk(at + Duration::hours(20)));
    }
}
