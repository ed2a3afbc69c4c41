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
use crate::store::runs::{RunFilter, RunStatus};
use crate::view::run_view;
use crate::{Api, App};
use lambda_http::{Body, Request, Response};

/// The `automation` function's context: an API function's ([`Api`]) and
/// the rule runner that carries out what `execute` runs for real.
pub struct Automation {
    pub app: Api,
    pub runner: Runner,
}

impl Context for Automation {
    /// The runner sends rule actions' notices to the queue the
    /// configuration names (`WEBHOOKS_QUEUE_URL`), and acts on other
    /// modules' entities (and queues jobs) as the app's modules registered
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
