//! What the detectors read and keep.
//!
//! - A watch per open approval whose step has a usual time: `pk =
//!   INSIGHTS#WATCH#<shard>` (0–3, from the approval's id), `sk = <due
//!   epoch ms, 13 digits>#<approval id>`: when the step will have taken
//!   much longer than usual. The analyzer replaces it in the transaction
//!   that moves the approval's scoring (a new step, the end), so a watch
//!   that is due is an approval still waiting on that step. Read by due
//!   time: `Query INSIGHTS#WATCH#<shard>, sk <= <now ms>$`, never a scan.
//! - A finding per detector and subject while it holds: `pk =
//!   INSIGHTS#FINDINGS`, `sk = <detector>#<subject>`, naming its insight.
//!   Written with the insight it raises (absent before), removed with its
//!   resolution: so a condition that stays true raises one insight, and
//!   one that comes back after it cleared raises a new one.
//! - A backlog per work queue while it is not empty: `pk =
//!   INSIGHTS#QUEUES`, `sk = QUEUE#<queue name>`: what the queue held at the
//!   last probe, and since when it has not been empty. Replaced at each
//!   probe at the version read, removed when the queue is empty.

use opsflow_platform::clock::epoch_millis;
use opsflow_platform::domain::EntityId;
use opsflow_platform::store::{
    entity_item, n, Entity, Expr, Keys, SortCondition, Store, StoreError, StoreFuture,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

const WATCH_SHARDS: u8 = 4;
const FINDINGS_PK: &str = "INSIGHTS#FINDINGS";
const BACKLOGS_PK: &str = "INSIGHTS#QUEUES";

fn watch_pk(shard: u8) -> String {
    format!("INSIGHTS#WATCH#{shard}")
}

/// An approval waiting on a step, and when that wait becomes unusual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    pub approval_id: EntityId,
    pub workflow_id: String,
    pub workflow_name: String,
    pub step: usize,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    /// The step's usual time when the watch was set.
    pub usual_seconds: f64,
}

impl Watch {
    fn shard(&self) -> u8 {
        self.approval_id.to_string().bytes().last().unwrap_or(0) % WATCH_SHARDS
    }
}

impl Entity for Watch {
    const TYPE: &'static str = "insights_watch";

    fn keys(&self) -> Keys {
        Keys::table(
            watch_pk(self.shard()),
            format!("{:013}#{}", epoch_millis(self.due_at), self.approval_id),
        )
    }
}

/// A detector's finding while it holds: the insight it raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub detector: String,
    pub subject: String,
    pub insight_id: EntityId,
}

impl Entity for Finding {
    const TYPE: &'static str = "insights_finding";

    fn keys(&self) -> Keys {
        Keys::table(FINDINGS_PK, format!("{}#{}", self.detector, self.subject))
    }
}

/// A work queue that has not been empty since `since`, as its probes saw
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backlog {
    pub queue: String,
    /// Messages waiting at the last probe.
    pub visible: u64,
    /// The first probe of this stretch that found messages waiting.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// Messages waiting at that first probe.
    pub at_start: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub observed_at: OffsetDateTime,
    pub version: u64,
}

impl Entity for Backlog {
    const TYPE: &'static str = "insights_backlog";

    fn keys(&self) -> Keys {
        Keys::table(BACKLOGS_PK, format!("QUEUE#{}", self.queue))
    }
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait FindingStore {
    /// Every watch due at `now`, oldest first (requests waiting longer
    /// than usual: a few, where workflows are healthy).
    fn due_watches(&self, now: OffsetDateTime) -> impl StoreFuture<Vec<Watch>>;

    /// The findings of `detector` that hold.
    fn findings(&self, detector: &str) -> impl StoreFuture<Vec<Finding>>;

    /// The backlog of every work queue that was not empty at its last
    /// probe.
    fn backlogs(&self) -> impl StoreFuture<Vec<Backlog>>;

    /// Records `next` in place of `previous` (none: there was no backlog);
    /// `next` none removes it. `ConditionFailed` when another probe wrote
    /// meanwhile.
    fn replace_backlog(
        &self,
        queue: &str,
        previous: Option<&Backlog>,
        next: Option<&Backlog>,
    ) -> impl StoreFuture<()>;
}

/// Every item of partition `pk` whose sort key meets `condition` (with
/// `:v` = `value`), read consistently to the end, as `T`.
async fn all_of<T: serde::de::DeserializeOwned>(
    store: &Store,
    pk: String,
    condition: &str,
    value: String,
) -> Result<Vec<T>, StoreError> {
    let sort = SortCondition {
        condition,
        value: &value,
    };
    store.query_partition(&pk, Some(sort), true).await
}

impl FindingStore for Store {
    async fn due_watches(&self, now: OffsetDateTime) -> Result<Vec<Watch>, StoreError> {
        let bound = format!("{:013}$", epoch_millis(now));
        let mut due = Vec::new();
        for shard in 0..WATCH_SHARDS {
            due.extend(all_of::<Watch>(self, watch_pk(shard), "sk <= :v", bound.clone()).await?);
        }
        due.sort_by_key(|w| w.due_at);
        Ok(due)
    }

    async fn findings(&self, detector: &str) -> Result<Vec<Finding>, StoreError> {
        let prefix = format!("{detector}#");
        all_of(self, FINDINGS_PK.to_owned(), "begins_with(sk, :v)", prefix).await
    }

    async fn backlogs(&self) -> Result<Vec<Backlog>, StoreError> {
        all_of(
            self,
            BACKLOGS_PK.to_owned(),
            "begins_with(sk, :v)",
            "QUEUE#".into(),
        )
        .await
    }

    async fn replace_backlog(
        &self,
        queue: &str,
        previous: Option<&Backlog>,
        next: Option<&Backlog>,
    ) -> Result<(), StoreError> {
        let write = match (next, previous) {
            (Some(next), Some(previous)) => self.put(
                entity_item(next)?,
                Some((
                    "version = :version",
                    vec![(":version", n(previous.version))],
                )),
            )?,
            (Some(next), None) => self.put(
                entity_item(next)?,
                Some(("attribute_not_exists(pk)", Vec::new())),
            )?,
            (None, Some(previous)) => {
                let same = Expr::new("version = :version").value(":version", n(previous.version));
                self.delete(
                    BACKLOGS_PK.to_owned(),
                    &format!("QUEUE#{queue}"),
                    Some(&same),
                )?
            }
            (None, None) => return Ok(()),
        };
        match self.transact(vec![write]).await {
            // Another probe wrote it (or writes it now).
            Err(error) if error.failed_condition_at(0) || error.is_conflict() => {
                Err(StoreError::ConditionFailed)
            }
            other => other,
        }
    }
}
