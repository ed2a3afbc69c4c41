//! `automation`: rules on demand, and what rules did.
//!
//! - `POST /api/v1/automation/execute` runs rules on an event the caller
//!   describes, or on one built from an existing entity; with `dry_run` it
//!   only evaluates them and writes nothing ([`execute`]).
//! - `GET /api/v1/automation/runs` lists the runs the automation runner
//!   and this route recorded, filtered by rule, event and status: newest
//!   first, or for one event by rule id (`store::runs`).
//!
//! Both are for admins: a run's trace shows how rules decide (a threshold,
//! say), and executing rules acts as the system on any approval.

use crate::api::ApiReply;

pub(crate) mod execute;

use crate::api::paged_by_key;
use crate::api::Context;
use crate::auth::Principal;
use crate::domain::EntityId;
use crate::error::{ApiError, ApiResult, Validator};
use crate::http::{only_query_params, query_param, RequestMeta};
use crate::permissions;
use crate::pipeline::automation_runner::Runner;
use crate::store::runs::RunStore;
use crate::store::runs::{ActionOutcome, RunFilter, RunRecord, RunStatus};
use crate::{Api, App};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// The `automation` function's context: an API function's ([`Api`]) and
/// the rule runner that carries out what `execute` runs for real.
pub struct Automation {
    pub app: Api,
    pub runner: Runner,
}

impl Context for Automation {
    /// The runner sends rule actions' messages to the queues the
    /// configuration names (`WEBHOOKS_QUEUE_URL`, optional `JOBS_QUEUE_URL`),
    /// and acts on other modules' entities as the app's modules registered
    /// them.
    async fn build(app: App, sdk: &aws_config::SdkConfig) -> anyhow::Result<Self> {
        let runner = Runner::from_config(app.config.clone(), sdk)?.using(app.registry.clone());
        Ok(Self {
            app: Api::new(app)?,
            runner,
        })
    }
}

impl AsRef<Api> for Automation {
    fn as_ref(&self) -> &Api {
        &self.app
    }
}

pub async fn handle(ctx: &Automation, req: Request) -> Response<Body> {
    crate::api::serve(ctx, req, route).await
}

async fn route(
    ctx: &Automation,
    principal: Principal,
    meta: RequestMeta,
    req: Request,
) -> ApiReply {
    let app = &ctx.app;
    match meta.route_key.as_str() {
        "POST /api/v1/automation/execute" => {
            principal.require(permissions::AUTOMATION_EXECUTE)?;
            execute::execute(ctx, &principal, &meta, &req).await
        }
        "GET /api/v1/automation/runs" => {
            principal.require(permissions::AUTOMATION_RUNS_READ)?;
            list_runs(app, &req).await
        }
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

/// A run as the API shows it: what one rule did with one event.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunView {
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    event_id: String,
    event_type: String,
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    rule_id: String,
    /// The rule's name when it ran.
    rule_name: String,
    /// How many actions led to the event (rules stop at 3).
    depth: u32,
    correlation_id: String,
    status: RunStatus,
    /// Why it was skipped or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// `{triggered, matched, conditions}`: each condition's value and result.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::language::rule::RuleEvaluation>))]
    evaluation: Option<Value>,
    /// Each action's outcome, in the rule's order.
    actions: Vec<ActionOutcome>,
    attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    finished_at: OffsetDateTime,
    duration_ms: u64,
}

pub fn run_view(record: &RunRecord) -> RunView {
    RunView {
        event_id: record.event_id.to_string(),
        event_type: record.event_type.clone(),
        rule_id: record.rule_id.to_string(),
        rule_name: record.rule_name.clone(),
        depth: record.depth,
        correlation_id: record.correlation_id.clone(),
        status: record.status,
        reason: record.reason.clone(),
        evaluation: record.evaluation(),
        actions: record.actions(),
        attempts: record.attempts,
        started_at: record.started_at,
        finished_at: record.finished_at,
        duration_ms: record.duration_ms,
    }
}

fn id_param(v: &mut Validator, req: &Request, name: &str) -> ApiResult<Option<EntityId>> {
    Ok(query_param(req, name)?.and_then(|raw| v.check(name, EntityId::parse(raw))))
}

async fn list_runs(app: &Api, req: &Request) -> ApiReply {
    only_query_params(req, &["rule_id", "event_id", "status", "limit", "cursor"])?;
    let mut v = Validator::new();
    let rule = id_param(&mut v, req, "rule_id")?;
    let event = id_param(&mut v, req, "event_id")?;
    let status =
        query_param(req, "status")?.and_then(|raw| v.check("status", RunStatus::parse(raw)));
    v.finish()?;
    let filter = RunFilter {
        rule,
        event,
        status,
    };
    let scope = format!("runs:{filter:?}");
    let now = crate::clock::now();
    paged_by_key(
        app,
        req,
        &scope,
        |limit, after| async move {
            app.store
                .list_runs(&filter, limit, after.as_deref(), now)
                .await
        },
        run_view,
    )
    .await
}
