//! Automation runs: what one rule did with one event.
//!
//! Items (in the entity table), every run of one event in one partition:
//! - the run: `pk = RUNS#EVENT#<event id>, sk = RUN#<rule id>`, written
//!   once, when it is final, with `attribute_not_exists(pk)`; so at most one
//!   run exists per (event, rule), and a redelivered event that finds it
//!   does nothing. It is in `gsi1 = RUNS` and `gsi2 = RUNS#RULE#<rule id>`,
//!   both sorted `RUN#<started>#<event id>#<rule id>` (`started`
//!   fixed-width UTC), and expires [`RUN_RETENTION`] after it finished.
//! - its attempt counter beside it while it retries: `sk = ATTEMPT#<rule
//!   id>`, with `attempts` (`ADD 1` per attempt) and `done_actions` (the
//!   indexes of the actions already carried out), kept 14 days (SQS's
//!   longest retention).
//!
//! The evaluation and the actions' outcomes are stored as JSON text, like
//! an approval's payload: a trace is arbitrary JSON (operands, values
//! found), and arbitrary JSON never becomes DynamoDB maps.
//!
//! Access patterns:
//! - run of an event and rule: `GetItem RUNS#EVENT#<event> / RUN#<rule>`
//!   (consistent)
//! - count an attempt: `UpdateItem RUNS#EVENT#<event> / ATTEMPT#<rule> ADD attempts 1`
//! - mark an action done: `UpdateItem … / ATTEMPT#<rule> ADD done_actions <index>`
//! - runs, newest first: `Query gsi1 gsi1pk = RUNS`, descending; of one
//!   rule: `Query gsi2 gsi2pk = RUNS#RULE#<id>`, descending; of one event:
//!   `Query RUNS#EVENT#<id>, begins_with(sk, RUN#)` (by rule id). A status
//!   (and a second id) is a filter on the chosen key.

mod record;

pub use record::{ActionOutcome, ActionStatus, RunEnd, RunRecord, RunStatus, RunSubject};

use super::{
    classify, from_item, keys, n, s, Entity, Expr, Partition, Store, StoreError, StoreFuture,
};
use crate::domain::EntityId;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use opsflow_platform::store::Written;
use time::{Duration, OffsetDateTime};

/// How long an attempt counter outlives its last attempt.
pub const ATTEMPT_RETENTION: Duration = Duration::days(14);
/// How long a run is kept after it finished. What its actions did stays in
/// the audit log for good; the run is the explanation, kept for a quarter.
pub const RUN_RETENTION: Duration = Duration::days(90);

/// Where a run's retries stand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempt {
    /// This attempt's number, from 1.
    pub number: u32,
    /// The indexes of the actions carried out by earlier attempts.
    pub done_actions: Vec<usize>,
}

/// Which runs a listing returns; every given filter must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub rule: Option<EntityId>,
    pub event: Option<EntityId>,
    pub status: Option<RunStatus>,
}

impl RunFilter {
    /// The narrowest key the filter names: the event's partition, the
    /// rule's index partition, or every run; and the sort key prefix there.
    fn partition(&self) -> (Partition, &'static str) {
        match (&self.event, &self.rule) {
            (Some(event), _) => (
                Partition {
                    index: None,
                    partition_attribute: "pk",
                    sort_attribute: "sk",
                    partition: keys::runs_of_event_pk(event),
                },
                keys::RUN_OF_EVENT_PREFIX,
            ),
            (None, Some(rule)) => (
                Partition {
                    index: Some("gsi2"),
                    partition_attribute: "gsi2pk",
                    sort_attribute: "gsi2sk",
                    partition: keys::runs_of_rule_gsi2pk(rule),
                },
                keys::RUN_SORT_PREFIX,
            ),
            (None, None) => (
                Partition {
                    index: Some("gsi1"),
                    partition_attribute: "gsi1pk",
                    sort_attribute: "gsi1sk",
                    partition: keys::RUNS_GSI1PK.into(),
                },
                keys::RUN_SORT_PREFIX,
            ),
        }
    }

    /// What the key leaves to a filter: the status, a rule within an
    /// event's runs, and expiry (TTL deletes only eventually).
    fn condition(&self, now: OffsetDateTime) -> Expr {
        let mut condition = Expr::new("expires_at > :now").value(":now", n(now.unix_timestamp()));
        if let Some(status) = self.status {
            condition = condition.and(
                Expr::new("#status = :status")
                    .name("#status", "status")
                    .value(":status", s(status.as_str())),
            );
        }
        if let (Some(_), Some(rule)) = (&self.event, &self.rule) {
            condition =
                condition.and(Expr::new("rule_id = :rule").value(":rule", s(rule.to_string())));
        }
        condition
    }
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait RunStore {
    /// A page of runs: newest first, or, for one event, by rule id.
    /// `after` and the returned key are sort keys of the chosen key.
    fn list_runs(
        &self,
        filter: &RunFilter,
        limit: usize,
        after: Option<&str>,
        now: OffsetDateTime,
    ) -> impl StoreFuture<(Vec<RunRecord>, Option<String>)>;

    /// The final run of `rule` on `event`, if it was recorded.
    fn run_of(&self, event: &EntityId, rule: &EntityId) -> impl StoreFuture<Option<RunRecord>>;

    /// Records a final run once; a second write of the same run is a no-op.
    /// A failed run is then counted in its rule's failure tally (best
    /// effort: a tally that fails is logged, the run stays recorded).
    fn put_run(&self, record: &RunRecord) -> impl StoreFuture<Written>;

    /// Counts one more attempt at a run and returns where it stands.
    fn begin_attempt(
        &self,
        event: &EntityId,
        rule: &EntityId,
        now: OffsetDateTime,
    ) -> impl StoreFuture<Attempt>;

    /// Notes that action `index` of a run was carried out, so a retry of
    /// the run does not carry it out again.
    fn mark_action_done(
        &self,
        event: &EntityId,
        rule: &EntityId,
        index: usize,
    ) -> impl StoreFuture<()>;
}

impl RunStore for Store {
    async fn list_runs(
        &self,
        filter: &RunFilter,
        limit: usize,
        after: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(Vec<RunRecord>, Option<String>), StoreError> {
        let (partition, prefix) = filter.partition();
        let condition = filter.condition(now);
        let (items, next) = self
            .query_merged(
                std::slice::from_ref(&partition),
                prefix,
                Some(&condition),
                limit,
                after,
                filter.event.is_none(),
            )
            .await?;
        let records = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok((records, next))
    }

    async fn run_of(
        &self,
        event: &EntityId,
        rule: &EntityId,
    ) -> Result<Option<RunRecord>, StoreError> {
        self.get(keys::runs_of_event_pk(event), &keys::run_sk(rule))
            .await
    }

    #[tracing::instrument(skip_all, fields(event_id = %record.event_id, rule_id = %record.rule_id))]
    async fn put_run(&self, record: &RunRecord) -> Result<Written, StoreError> {
        let written = self.put_once(record.item()?).await?;
        if written == Written::New && record.status == RunStatus::Failed {
            // Counted by whoever recorded the run, so once. Not in the
            // run's transaction: the tally is one item per rule that every
            // failing instance updates at once (a transaction would
            // conflict), and it is a diagnostic, never a reason to lose
            // or retry the run.
            if let Err(error) = super::failures::count_failure(
                self,
                &record.rule_id,
                &record.rule_name,
                record.reason.as_deref().unwrap_or_default(),
                record.finished_at,
            )
            .await
            {
                tracing::warn!(error = %error, "a failed run was not tallied");
            }
        }
        Ok(written)
    }

    #[tracing::instrument(skip_all, fields(event_id = %event, rule_id = %rule))]
    async fn begin_attempt(
        &self,
        event: &EntityId,
        rule: &EntityId,
        now: OffsetDateTime,
    ) -> Result<Attempt, StoreError> {
        opsflow_platform::auth::gate::cleared().await?;
        let output = self
            .update_at(keys::runs_of_event_pk(event), &keys::run_attempt_sk(rule))
            .update_expression("ADD attempts :one SET #type = :type, expires_at = :expires")
            .expression_attribute_names("#type", "type")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":type", s("automation_attempt"))
            .expression_attribute_values(":expires", n((now + ATTEMPT_RETENTION).unix_timestamp()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| classify(e, "UpdateItem"))?;
        let attributes = output.attributes.unwrap_or_default();
        let number = match attributes.get("attempts") {
            Some(AttributeValue::N(text)) => text.parse().unwrap_or(1),
            _ => 1,
        };
        let mut done_actions: Vec<usize> = match attributes.get("done_actions") {
            Some(AttributeValue::Ns(indexes)) => {
                indexes.iter().filter_map(|i| i.parse().ok()).collect()
            }
            _ => Vec::new(),
        };
        done_actions.sort_unstable();
        Ok(Attempt {
            number,
            done_actions,
        })
    }

    async fn mark_action_done(
        &self,
        event: &EntityId,
        rule: &EntityId,
        index: usize,
    ) -> Result<(), StoreError> {
        opsflow_platform::auth::gate::cleared().await?;
        self.update_at(keys::runs_of_event_pk(event), &keys::run_attempt_sk(rule))
            .update_expression("ADD done_actions :index")
            .expression_attribute_values(":index", AttributeValue::Ns(vec![index.to_string()]))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(e, "UpdateItem"))
    }
}
