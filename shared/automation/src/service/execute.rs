//! Running rules on demand, on an event the caller describes or on one
//! built from an existing entity (its `data` is the entity as the API shows
//! it). Either way the caller is its actor, it is at depth 0 and it carries
//! the request's correlation id, so the events its actions cause are traced
//! to the request. Which events may run for real is the API's check (see
//! `api::automation::execute`); this runs what it is given.
//!
//! Without a rule id the enabled rules whose trigger matches run in
//! priority order, as the automation runner would run them; with one only
//! that rule runs, enabled or not (so a rule can be tried before it is
//! switched on), and a trigger that does not match is reported rather than
//! run.
//!
//! - A dry run evaluates and writes nothing: no run, no event. Each rule's
//!   result lists the actions it *would* run.
//! - Otherwise an `automation.executed` event (about `automation`/<event
//!   id>, so the audit log shows who executed what) is committed first,
//!   then each rule runs exactly as the runner runs it and its run is
//!   recorded, once: a transient failure is not retried here but recorded
//!   as the run's failure, for the caller to see at once. Should a run not
//!   even be recorded (storage failing), its result says `error` and the
//!   other rules still run: once actions may have happened the answer is
//!   never an error, so that an idempotent retry gets it back instead of
//!   running the actions again.

use crate::auth::Principal;
use crate::domain::EntityId;
use crate::events::{Actor, Envelope, AUTOMATION_EXECUTED};
use crate::pipeline::automation_runner::{LoadedRule, Runner};
use crate::store::rules::RuleStore;
use crate::store::StoreError;
use crate::view::{
    run_view, DryRun, DryRunStatus, Executed, NotRunStatus, PlannedAction, PlannedStatus,
    RuleNotRun, RuleResult,
};
use crate::App;
use opsflow_platform::error::ApiError;
use opsflow_platform::events::names::ActionName;
use serde_json::{json, Map, Value};

/// An event as a caller describes it, checked.
#[derive(Debug)]
pub struct DescribedEvent {
    pub event_type: String,
    pub entity: String,
    pub entity_id: String,
    /// The entity after the change (`null` when not given).
    pub data: Value,
    pub changes: Map<String, Value>,
}

/// What the rules run on.
#[derive(Debug)]
pub enum Source {
    Described(DescribedEvent),
    /// An existing entity of a registered kind, as `event_type` would
    /// carry it.
    Entity {
        kind: String,
        id: EntityId,
        event_type: ActionName,
    },
}

/// A request to run rules.
#[derive(Debug)]
pub struct Execution {
    pub source: Source,
    /// Only this rule, enabled or not.
    pub rule_id: Option<EntityId>,
    pub dry_run: bool,
}

/// Who asks, and the request the events are traced to.
pub struct Caller<'a> {
    pub principal: &'a Principal,
    pub correlation_id: &'a str,
    /// Quoted in a result whose run could not be recorded.
    pub request_id: &'a str,
}

/// Why rules were not run.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// 422 on `entity_id`: no entity of this kind has the id.
    #[error("no {0} has this id")]
    NoEntity(String),
    /// 422 on `rule_id`: no rule has the id.
    #[error("no rule has this id")]
    NoRule,
    /// The entity's module failed to show it (its own status).
    #[error(transparent)]
    View(ApiError),
    /// The store failed (its own status: 409, 503 or 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ExecuteError> for ApiError {
    fn from(error: ExecuteError) -> Self {
        match error {
            ExecuteError::NoEntity(_) => ApiError::invalid_field("entity_id", error.to_string()),
            ExecuteError::NoRule => ApiError::invalid_field("rule_id", error.to_string()),
            ExecuteError::View(error) => error,
            ExecuteError::Store(error) => error.into(),
        }
    }
}

/// Runs (or with `dry_run` evaluates) the rules on the event.
pub async fn execute(
    app: &App,
    runner: &Runner,
    caller: &Caller<'_>,
    execution: Execution,
) -> Result<Executed, ExecuteError> {
    let envelope = build_event(app, caller, execution.source).await?;
    let selected = select_rules(app, runner, execution.rule_id.as_ref()).await?;
    // The envelope as the conditions read it, made once for every rule.
    let event = serde_json::to_value(&envelope)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("an event as JSON: {e}")))?;
    let results = if execution.dry_run {
        dry_results(&selected, &envelope, &event)
    } else {
        run_rules(app, runner, caller, &selected, &envelope, &event).await?
    };
    Ok(Executed {
        dry_run: execution.dry_run,
        event: envelope,
        results,
    })
}

/// The event the rules see.
async fn build_event(
    app: &App,
    caller: &Caller<'_>,
    source: Source,
) -> Result<Envelope, ExecuteError> {
    let actor = Actor::from(caller.principal);
    match source {
        Source::Described(event) => {
            let mut envelope = Envelope::new(
                event.event_type,
                event.entity,
                event.entity_id,
                actor,
                caller.correlation_id,
                event.data,
            );
            envelope.changes = event.changes;
            Ok(envelope)
        }
        Source::Entity {
            kind,
            id,
            event_type,
        } => {
            // An entity as the API shows it, which is what its events carry.
            let data = match app.registry.entity_source(&kind) {
                Some(source) => source
                    .view(&app.store, &id)
                    .await
                    .map_err(ExecuteError::View)?,
                None => None,
            };
            let data = data.ok_or_else(|| ExecuteError::NoEntity(kind.clone()))?;
            Ok(Envelope::new(
                event_type.as_str(),
                kind,
                id,
                actor,
                caller.correlation_id,
                data,
            ))
        }
    }
}

/// The named rule, or the enabled ones in the order they apply.
async fn select_rules(
    app: &App,
    runner: &Runner,
    rule_id: Option<&EntityId>,
) -> Result<Selected, ExecuteError> {
    match rule_id {
        Some(id) => {
            let record = app
                .store
                .rule_by_id(id)
                .await?
                .ok_or(ExecuteError::NoRule)?;
            Ok(Selected::One(LoadedRule::from_record(&record)?))
        }
        None => Ok(Selected::Enabled(runner.load_rules().await?)),
    }
}

enum Selected {
    /// The rule the caller named: reported even when its trigger does not
    /// match.
    One(LoadedRule),
    /// The enabled rules: those whose trigger does not match are left out,
    /// as the runner leaves them out.
    Enabled(Vec<LoadedRule>),
}

impl Selected {
    /// The rules to run, and the named rule whose trigger does not match.
    fn split<'a>(&'a self, event_type: &str) -> (Vec<&'a LoadedRule>, Option<&'a LoadedRule>) {
        match self {
            Self::One(rule) if rule.spec.trigger().matches(event_type) => (vec![rule], None),
            Self::One(rule) => (Vec::new(), Some(rule)),
            Self::Enabled(rules) => (
                rules
                    .iter()
                    .filter(|rule| rule.spec.trigger().matches(event_type))
                    .collect(),
                None,
            ),
        }
    }
}

fn not_run(rule: &LoadedRule, status: NotRunStatus, reason: String) -> RuleNotRun {
    RuleNotRun {
        rule_id: rule.id,
        rule_name: rule.spec.name().to_owned(),
        status,
        reason,
        evaluation: None,
    }
}

fn not_triggered(rule: &LoadedRule, event_type: &str) -> RuleNotRun {
    let reason = format!(
        "its trigger {} does not match {event_type}",
        rule.spec.trigger()
    );
    not_run(rule, NotRunStatus::NotTriggered, reason)
}

fn dry_results(selected: &Selected, envelope: &Envelope, event: &Value) -> Vec<RuleResult> {
    let (rules, unmatched) = selected.split(&envelope.event_type);
    let unmatched = unmatched.map(|rule| {
        RuleResult::NotRun(RuleNotRun {
            evaluation: Some(rule.spec.evaluate(event)),
            ..not_triggered(rule, &envelope.event_type)
        })
    });
    let dry = rules.into_iter().map(|rule| {
        let evaluation = rule.spec.evaluate(event);
        let (status, planned) = if evaluation.matched {
            (DryRunStatus::Matched, PlannedStatus::WouldRun)
        } else {
            (DryRunStatus::NotMatched, PlannedStatus::NotRun)
        };
        let actions = (rule.spec.actions().iter().enumerate())
            .map(|(index, action)| PlannedAction {
                index,
                kind: action.kind(),
                status: planned,
                action: action.clone(),
            })
            .collect();
        RuleResult::Dry(DryRun {
            rule_id: rule.id,
            rule_name: rule.spec.name().to_owned(),
            status,
            evaluation,
            actions,
        })
    });
    unmatched.into_iter().chain(dry).collect()
}

async fn run_rules(
    app: &App,
    runner: &Runner,
    caller: &Caller<'_>,
    selected: &Selected,
    envelope: &Envelope,
    event: &Value,
) -> Result<Vec<RuleResult>, ExecuteError> {
    let (rules, unmatched) = selected.split(&envelope.event_type);
    let executed = Envelope::new(
        AUTOMATION_EXECUTED,
        "automation",
        envelope.id,
        Actor::from(caller.principal),
        caller.correlation_id,
        json!({
            "event": event,
            "rule_ids": rules.iter().map(|rule| rule.id).collect::<Vec<_>>(),
        }),
    );
    app.store.publish_event(&executed).await?;
    let mut results: Vec<RuleResult> = unmatched
        .map(|rule| RuleResult::NotRun(not_triggered(rule, &envelope.event_type)))
        .into_iter()
        .collect();
    for rule in rules {
        results.push(match runner.run_rule(rule, envelope, event, 1).await {
            Ok(record) => RuleResult::Run(run_view(&record)),
            Err(error) => {
                tracing::error!(rule_id = %rule.id, event_id = %envelope.id, %error, "rule run not recorded");
                let reason = format!(
                    "the run could not be completed and recorded; quote request {}",
                    caller.request_id
                );
                RuleResult::NotRun(not_run(rule, NotRunStatus::Error, reason))
            }
        });
    }
    Ok(results)
}
