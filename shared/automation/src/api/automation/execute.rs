//! `POST /api/v1/automation/execute`: rules on demand.
//!
//! The event is either described (`event: {type, entity, entity_id, data,
//! changes}`) or built from an existing entity (`entity`, `entity_id` and
//! `event_type`: its `data` is the entity as the API shows it). Either
//! way the caller is its actor, it is at depth 0 and it carries the
//! request's correlation id, so the events its actions cause are traced to
//! this request. A described event about a platform entity (an approval,
//! a workflow, a rule, a user) may only be a dry run: actions act on the
//! stored entity, so a real run's conditions must see the stored entity,
//! never a caller's account of it. A real run on a client's kind of event
//! (`client.…`) is refused too: rules never run on what clients report
//! (the runner refuses those events), so executing them would show
//! something that never happens.
//!
//! Without `rule_id` the enabled rules whose trigger matches run in
//! priority order, as the automation runner would run them; with it only
//! that rule runs, enabled or not (so a rule can be tried before it is
//! switched on), and a trigger that does not match is reported rather than
//! run.
//!
//! - `dry_run: true` evaluates and writes nothing: no run, no event, no
//!   idempotency key. Each rule's result lists the actions it *would* run.
//! - Otherwise an `automation.executed` event (about `automation`/<event
//!   id>, so the audit log shows who executed what) is committed first, then
//!   each rule runs exactly as the runner runs it and its run is recorded,
//!   once: a transient failure is not retried here but recorded as the
//!   run's failure, for the caller to see at once. Should a run not even
//!   be recorded (storage failing), its result says `error` and the other
//!   rules still run: the answer is never a bare 5xx after actions may have
//!   happened, so a retry with the same `Idempotency-Key` gets this answer
//!   back instead of running the actions again.

use crate::api::ApiReply;

pub(crate) mod body;

use super::Automation;
use crate::api::idempotency;
use crate::auth::Principal;
use crate::domain::EntityId;
use crate::error::{ApiError, ApiResult};
use crate::events::{Actor, Envelope};
use crate::http::{json, parse_json, RequestMeta, DEFAULT_BODY_LIMIT};
use crate::language::Action;
use crate::pipeline::automation_runner::LoadedRule;
use crate::store::rules::RuleStore;
use crate::App;
use body::{check, ExecuteBody, Source};
use http::StatusCode;
use lambda_http::Request;
use serde::Serialize;
use serde_json::{json, Value};

pub(super) async fn execute(
    ctx: &Automation,
    principal: &Principal,
    meta: &RequestMeta,
    req: &Request,
) -> ApiReply {
    let body: ExecuteBody = parse_json(req, DEFAULT_BODY_LIMIT)?;
    if body.dry_run {
        return run(ctx, principal, meta, body).await;
    }
    let scope = format!("automation-execute#{}", principal.user_id);
    idempotency::idempotent(&ctx.app.store, &scope, meta, req, || {
        run(ctx, principal, meta, body)
    })
    .await
}

async fn run(
    ctx: &Automation,
    principal: &Principal,
    meta: &RequestMeta,
    body: ExecuteBody,
) -> ApiReply {
    let app = &ctx.app;
    let dry_run = body.dry_run;
    let kinds: Vec<&str> = app.registry.kinds().collect();
    let (source, rule_id) = check(body, &kinds)?;
    let envelope = build_event(app, principal, meta, source).await?;
    let selected = select_rules(ctx, rule_id.as_ref()).await?;
    // The envelope as the conditions read it, made once for every rule.
    let event = serde_json::to_value(&envelope).map_err(|e| ApiError::Internal(e.into()))?;
    let results = if dry_run {
        dry_results(&selected, &envelope, &event)
    } else {
        execute_rules(ctx, principal, meta, &selected, &envelope, &event).await?
    };
    json(
        StatusCode::OK,
        &Executed {
            dry_run,
            event: &envelope,
            results,
        },
    )
}

#[derive(Serialize)]
struct Executed<'a> {
    dry_run: bool,
    event: &'a Envelope,
    /// One per rule: a run (see the runs listing), or for a dry run the
    /// evaluation and the actions that would run.
    results: Vec<Value>,
}

/// The event the rules see.
async fn build_event(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    source: Source,
) -> ApiResult<Envelope> {
    let actor = Actor::from(principal);
    match source {
        Source::Described(event) => {
            let mut envelope = Envelope::new(
                event.event_type,
                event.entity,
                event.entity_id,
                actor,
                &meta.correlation_id,
                event.data.unwrap_or(Value::Null),
            );
            envelope.changes = event.changes;
            Ok(envelope)
        }
        Source::Entity {
            kind,
            id,
            event_type,
        } => {
            let data = entity_data(app, &kind, &id).await?.ok_or_else(|| {
                ApiError::invalid_field("entity_id", format!("no {kind} has this id"))
            })?;
            Ok(Envelope::new(
                event_type.as_str(),
                kind,
                id,
                actor,
                &meta.correlation_id,
                data,
            ))
        }
    }
}

/// An entity as the API shows it, which is what its events carry as `data`.
async fn entity_data(app: &App, kind: &str, id: &EntityId) -> ApiResult<Option<Value>> {
    match app.registry.entity_source(kind) {
        Some(source) => source.view(&app.store, id).await,
        None => Ok(None),
    }
}

/// The named rule, or the enabled ones in the order they apply.
async fn select_rules(ctx: &Automation, rule_id: Option<&EntityId>) -> ApiResult<Selected> {
    match rule_id {
        Some(id) => {
            let record = ctx
                .app
                .store
                .rule_by_id(id)
                .await?
                .ok_or_else(|| ApiError::invalid_field("rule_id", "no rule has this id"))?;
            Ok(Selected::One(LoadedRule::from_record(&record)?))
        }
        None => Ok(Selected::Enabled(ctx.runner.load_rules().await?)),
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

fn not_triggered(rule: &LoadedRule, event_type: &str) -> Value {
    json!({
        "rule_id": rule.id,
        "rule_name": rule.spec.name(),
        "status": "not_triggered",
        "reason": format!("its trigger {} does not match {event_type}", rule.spec.trigger()),
    })
}

fn dry_results(selected: &Selected, envelope: &Envelope, event: &Value) -> Vec<Value> {
    let (rules, unmatched) = selected.split(&envelope.event_type);
    let mut results: Vec<Value> = unmatched
        .map(|rule| {
            let mut result = not_triggered(rule, &envelope.event_type);
            result["evaluation"] = json!(rule.spec.evaluate(event));
            result
        })
        .into_iter()
        .collect();
    for rule in rules {
        let evaluation = rule.spec.evaluate(event);
        let matched = evaluation.matched;
        let actions: Vec<Value> = rule
            .spec
            .actions()
            .iter()
            .enumerate()
            .map(|(index, action)| planned(index, action, matched))
            .collect();
        results.push(json!({
            "rule_id": rule.id,
            "rule_name": rule.spec.name(),
            "status": if matched { "matched" } else { "not_matched" },
            "evaluation": evaluation,
            "actions": actions,
        }));
    }
    results
}

/// An action of a dry run: what it would do, and whether it would run.
fn planned(index: usize, action: &Action, matched: bool) -> Value {
    json!({
        "index": index,
        "type": action.kind(),
        "status": if matched { "would_run" } else { "not_run" },
        "action": action,
    })
}

async fn execute_rules(
    ctx: &Automation,
    principal: &Principal,
    meta: &RequestMeta,
    selected: &Selected,
    envelope: &Envelope,
    event: &Value,
) -> ApiResult<Vec<Value>> {
    let (rules, unmatched) = selected.split(&envelope.event_type);
    let (app, runner) = (&ctx.app, &ctx.runner);
    let executed = Envelope::new(
        "automation.executed",
        "automation",
        envelope.id,
        Actor::from(principal),
        &meta.correlation_id,
        json!({
            "event": event,
            "rule_ids": rules.iter().map(|rule| rule.id).collect::<Vec<_>>(),
        }),
    );
    app.store.publish_event(&executed).await?;
    let mut results: Vec<Value> = unmatched
        .map(|rule| not_triggered(rule, &envelope.event_type))
        .into_iter()
        .collect();
    for rule in rules {
        let result = match runner.run_rule(rule, envelope, event, 1).await {
            Ok(record) => serde_json::to_value(super::run_view(&record))
                .map_err(|e| ApiError::Internal(e.into()))?,
            Err(error) => {
                tracing::error!(rule_id = %rule.id, event_id = %envelope.id, %error, "rule run not recorded");
                json!({
                    "rule_id": rule.id,
                    "rule_name": rule.spec.name(),
                    "status": "error",
                    "reason": format!(
                        "the run could not be completed and recorded; quote request {}",
                        meta.request_id
                    ),
                })
            }
        };
        results.push(result);
    }
    Ok(results)
}
