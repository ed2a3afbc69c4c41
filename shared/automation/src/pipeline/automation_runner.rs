//! `automation-runner`: the `automation` queue → rule runs.
//!
//! For each event, every enabled rule whose trigger matches the event's
//! type is run, in priority order, and leaves one run record
//! ([`crate::store::runs`]): `skipped` at depth [`MAX_DEPTH`] or more (so
//! rules cannot loop: every event an action causes is one level deeper),
//! `not_matched` with the trace of its conditions, or `succeeded`/`failed`
//! with the outcome of each action and the timing.
//!
//! Redelivery never repeats an action. A rule with a final run is not run
//! again. Within a run that is retried, actions already carried out are
//! skipped (the run's attempt item lists them), and every action that
//! writes an event derives its id from (event id, rule id, action index)
//! and writes it with `attribute_not_exists(pk)`, so a repeat finds its
//! event already there. Messages sent to queues carry the same derived id,
//! for their consumers to deduplicate on should a send be repeated after
//! a crash.
//!
//! Client events are refused: a `client.<action>` event (what a client
//! reported through `POST /api/v1/auditLogs`, about an entity and with changes
//! of its choosing) runs no rule and leaves no run; its message is
//! acknowledged, not retried, and the refusal logged. Rules act as the
//! system, so they only ever see what the platform committed.
//!
//! A batch's messages run [`PARALLEL_EVENTS`] at a time, grouped by the
//! entity their event is about: the events about one entity (one
//! approval, say) run one after another in the order they arrived, so two
//! of them never race on it, while events about different entities run
//! side by side. Approval actions only ever act on the approval their
//! event is about, so this keeps every approval's edits in order. Within
//! an event, rules run one after another in priority order.
//!
//! Failures: a transient one (storage, queue) fails the message, which SQS
//! redelivers, and counts an attempt; at the [`MAX_ATTEMPTS`]th attempt the
//! run is recorded `failed` with the error and the message succeeds, so the
//! run, not the dead-letter queue, says what happened. A permanent one
//! (an approval action on another entity's event, say) is recorded `failed`
//! at once. A message that is not an envelope is a batch item failure.

mod actions;
mod error;
mod groups;

pub use error::ActionError;

use crate::clock;
use crate::domain::EntityId;
use crate::events::{Envelope, MAX_DEPTH};
use crate::language::RuleSpec;
use crate::store::rules::RuleRecord;
use crate::store::rules::RuleStore;
use crate::store::runs::RunStore;
use crate::store::runs::{ActionOutcome, ActionStatus, RunEnd, RunRecord, RunStatus, RunSubject};
use crate::store::{Store, StoreError};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use futures::StreamExt;
use groups::in_order_groups;
use opsflow_platform::pipeline::consumer::{message_span, retry};
use opsflow_platform::registry::Registry;
use opsflow_platform::store::Written;
use std::collections::HashSet;
use tracing::Instrument;

/// A run that has failed transiently this many times is recorded `failed`.
pub const MAX_ATTEMPTS: u32 = 3;
/// How many events of a batch (each with all its rules) run at once.
pub const PARALLEL_EVENTS: usize = 4;

/// A rule as the runner applies it.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub id: EntityId,
    pub spec: RuleSpec,
}

impl LoadedRule {
    /// A stored rule, read back through the rule parsers.
    pub fn from_record(record: &RuleRecord) -> Result<Self, StoreError> {
        Ok(Self {
            id: record.id,
            spec: record.spec()?,
        })
    }
}

/// The rule runner with its clients and queues.
#[derive(Debug, Clone)]
pub struct Runner {
    store: Store,
    sqs: aws_sdk_sqs::Client,
    pub(super) webhooks_queue_url: String,
    /// Who carries out the actions on other modules' entities (`approve`,
    /// `assign`, …): the modules registered in the function's `main.rs`.
    pub(super) registry: Registry,
}

impl Runner {
    pub fn new(store: Store, sqs: aws_sdk_sqs::Client, webhooks_queue_url: String) -> Self {
        Self {
            store,
            sqs,
            webhooks_queue_url,
            registry: Registry::new(),
        }
    }

    /// Runs a batch; the response lists the messages to retry. Events
    /// about one entity run in the order they arrived, one after another;
    /// the others run side by side, [`PARALLEL_EVENTS`] at a time.
    #[tracing::instrument(skip_all, fields(messages = event.records.len()))]
    pub async fn run_batch(&self, event: &SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        let rules = match self.load_rules().await {
            Ok(rules) => rules,
            Err(error) => {
                tracing::error!(error = %error, "rules not loaded; the batch will be retried");
                for message in &event.records {
                    response.batch_item_failures.push(retry(message));
                }
                return response;
            }
        };
        let rules = &rules;
        let failed: HashSet<usize> = futures::stream::iter(in_order_groups(&event.records))
            .map(|group| async move {
                let mut failed = Vec::new();
                for (position, message, envelope) in group {
                    let span = message_span(message);
                    let result = match envelope {
                        Ok(envelope) => {
                            self.run_event(rules, &envelope)
                                .instrument(span.clone())
                                .await
                        }
                        Err(reason) => Err(reason),
                    };
                    let _in_message = span.enter();
                    match result {
                        Ok(()) => tracing::info!("event automated"),
                        Err(reason) => {
                            tracing::error!(%reason, "event not automated; will be retried");
                            failed.push(position);
                        }
                    }
                }
                failed
            })
            .buffer_unordered(PARALLEL_EVENTS)
            .flat_map(futures::stream::iter)
            .collect()
            .await;
        for (position, message) in event.records.iter().enumerate() {
            if failed.contains(&position) {
                response.batch_item_failures.push(retry(message));
            }
        }
        response
    }

    /// The enabled rules in priority order; a stored rule that no longer
    /// parses is logged and left out.
    pub async fn load_rules(&self) -> Result<Vec<LoadedRule>, StoreError> {
        let records = self.store.enabled_rules().await?;
        Ok(records
            .into_iter()
            .filter_map(|record| match LoadedRule::from_record(&record) {
                Ok(rule) => Some(rule),
                Err(error) => {
                    tracing::error!(rule_id = %record.id, error = %error, "stored rule skipped");
                    None
                }
            })
            .collect())
    }

    /// Runs every rule that `envelope` triggers. An error means the
    /// message is to be retried; rules finished before it keep their runs.
    #[tracing::instrument(skip_all, fields(event_id = %envelope.id, event_type = %envelope.event_type, depth = envelope.depth))]
    pub async fn run_event(&self, rules: &[LoadedRule], envelope: &Envelope) -> Result<(), String> {
        if envelope.is_client_report() {
            tracing::warn!(
                actor = %envelope.actor.id,
                "a client's event reached the runner; no rule runs on it"
            );
            return Ok(());
        }
        let event = serde_json::to_value(envelope).map_err(|e| e.to_string())?;
        for rule in rules {
            if !rule.spec.trigger().matches(&envelope.event_type) {
                continue;
            }
            self.run_rule(rule, envelope, &event, MAX_ATTEMPTS)
                .await
                .map_err(|error| format!("rule {}: {error}", rule.id))?;
        }
        Ok(())
    }

    /// Runs one rule on `envelope` (whose type it is known to match) and
    /// returns its final run: the one recorded now, or the one an earlier
    /// delivery recorded. `event` is the envelope as JSON, which the
    /// conditions read (made once per event, not once per rule). A
    /// transient failure on an attempt before `max_attempts` is an error,
    /// for the caller to retry; from the `max_attempts`th on, it is
    /// recorded as the run's failure.
    pub async fn run_rule(
        &self,
        rule: &LoadedRule,
        envelope: &Envelope,
        event: &serde_json::Value,
        max_attempts: u32,
    ) -> Result<RunRecord, String> {
        if let Some(done) = self.recorded_run(envelope, rule).await? {
            return Ok(done);
        }
        let subject = RunSubject {
            event_id: envelope.id,
            event_type: envelope.event_type.clone(),
            rule_id: rule.id,
            rule_name: rule.spec.name().to_owned(),
            depth: envelope.depth,
            correlation_id: envelope.correlation_id.clone(),
            started_at: clock::now(),
        };
        let not_run = || not_run_from(&rule.spec, 0);
        let end = if envelope.depth >= MAX_DEPTH {
            RunEnd {
                status: RunStatus::Skipped,
                reason: Some(format!("depth {MAX_DEPTH} reached")),
                evaluation: None,
                actions: not_run(),
                attempts: 1,
                finished_at: clock::now(),
            }
        } else {
            let evaluation = rule.spec.evaluate(event);
            let recorded = serde_json::to_value(&evaluation).ok();
            if !evaluation.matched {
                RunEnd {
                    status: RunStatus::NotMatched,
                    reason: None,
                    evaluation: recorded,
                    actions: not_run(),
                    attempts: 1,
                    finished_at: clock::now(),
                }
            } else {
                let carried = self.run_actions(rule, envelope, max_attempts).await?;
                RunEnd {
                    status: carried.status,
                    reason: carried.reason,
                    evaluation: recorded,
                    actions: carried.actions,
                    attempts: carried.attempts,
                    finished_at: clock::now(),
                }
            }
        };
        let status = end.status;
        let record = RunRecord::new(subject, end).map_err(store_error)?;
        match self.store.put_run(&record).await.map_err(store_error)? {
            Written::New => {
                opsflow_platform::metrics::count("RuleRuns", 1, Some(("Status", status.as_str())));
                tracing::info!(rule_id = %rule.id, ?status, "rule run recorded");
            }
            // A concurrent delivery finished first: its run is the one.
            Written::AlreadyThere => {
                if let Some(first) = self.recorded_run(envelope, rule).await? {
                    return Ok(first);
                }
            }
        }
        Ok(record)
    }

    /// The run of `rule` on this event, if one was recorded already.
    async fn recorded_run(
        &self,
        envelope: &Envelope,
        rule: &LoadedRule,
    ) -> Result<Option<RunRecord>, String> {
        self.store
            .run_of(&envelope.id, &rule.id)
            .await
            .map_err(store_error)
    }

    /// Carries out a matched rule's actions in order, stopping at the first
    /// failure. A transient failure before the last attempt is an error (the
    /// message is retried); otherwise the outcome is final.
    async fn run_actions(
        &self,
        rule: &LoadedRule,
        envelope: &Envelope,
        max_attempts: u32,
    ) -> Result<CarriedOut, String> {
        let attempt = self
            .store
            .begin_attempt(&envelope.id, &rule.id, clock::now())
            .await
            .map_err(store_error)?;
        let mut outcomes = Vec::new();
        for (index, action) in rule.spec.actions().iter().enumerate() {
            let mut outcome = ActionOutcome {
                index,
                kind: action.kind().to_owned(),
                status: ActionStatus::Ok,
                detail: None,
                error: None,
            };
            if attempt.done_actions.contains(&index) {
                outcome.detail = Some("carried out by an earlier attempt".into());
                outcomes.push(outcome);
                continue;
            }
            let result = actions::Act {
                runner: self,
                rule_id: rule.id,
                envelope,
                index,
            }
            .run(action)
            .await;
            let result = match result {
                Ok(detail) => self
                    .store
                    .mark_action_done(&envelope.id, &rule.id, index)
                    .await
                    .map(|()| detail)
                    .map_err(ActionError::from),
                Err(error) => Err(error),
            };
            let error = match result {
                Ok(detail) => {
                    outcome.detail = Some(detail);
                    outcomes.push(outcome);
                    continue;
                }
                Err(ActionError::Transient(error)) if attempt.number < max_attempts => {
                    return Err(format!(
                        "action {index} ({}) failed on attempt {}: {error}",
                        action.kind(),
                        attempt.number
                    ));
                }
                Err(ActionError::Transient(error) | ActionError::Permanent(error)) => error,
            };
            outcome.status = ActionStatus::Failed;
            outcome.error = Some(error.clone());
            outcomes.push(outcome);
            outcomes.extend(not_run_from(&rule.spec, index + 1));
            let reason = format!("action {index} ({}) failed: {error}", action.kind());
            return Ok(CarriedOut {
                status: RunStatus::Failed,
                reason: Some(reason),
                actions: outcomes,
                attempts: attempt.number,
            });
        }
        Ok(CarriedOut {
            status: RunStatus::Succeeded,
            reason: None,
            actions: outcomes,
            attempts: attempt.number,
        })
    }
}

/// How a matched rule's actions ended, on the attempt that finished them.
struct CarriedOut {
    status: RunStatus,
    reason: Option<String>,
    actions: Vec<ActionOutcome>,
    attempts: u32,
}

/// The actions from `start` on, as not run.
fn not_run_from(spec: &RuleSpec, start: usize) -> Vec<ActionOutcome> {
    spec.actions()
        .iter()
        .enumerate()
        .skip(start)
        .map(|(index, action)| ActionOutcome {
            index,
            kind: action.kind().to_owned(),
            status: ActionStatus::NotRun,
            detail: None,
            error: None,
        })
        .collect()
}

/// A storage failure as the run's (or the retried message's) error text.
fn store_error(error: StoreError) -> String {
    format!("{:#}", anyhow::Error::new(error))
}
