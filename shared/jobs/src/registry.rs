//! What jobs offer the consumers that serve every module: jobs as an
//! entity kind (an admin's: no one else sees their audit records), the
//! rule action `enqueue_job` (which creates the same job records as
//! `POST /api/v1/jobs`) and the event router's jobs lanes.

use crate::domain::{JobType, Priority};
use crate::service::{self, JobsError, NewJob, Origin};
use crate::store::JobStore;
use crate::view::job_data;
use futures::future::BoxFuture;
use opsflow_platform::domain::EntityId;
use opsflow_platform::events::Actor;
use opsflow_platform::registry::{ActionFailure, ActionTarget, EntityAction, EntityKind, Registry};
use opsflow_platform::store::{Store, StoreError};
use opsflow_platform::ApiResult;
use serde_json::Value;

/// Adds the jobs module's entity kind, its rule action and its queue lanes
/// to `registry`.
pub fn register(registry: &mut Registry) {
    registry
        .entity(EntityKind {
            kind: crate::events::JOB,
            view: |store, id| Box::pin(view(store, id)),
            visible_to: EntityKind::hidden,
        })
        .action_target(EnqueueJob);
    for lane in crate::lanes::LANES {
        registry.lane(lane);
    }
}

async fn view(store: &Store, id: &EntityId) -> ApiResult<Option<Value>> {
    Ok(store.job_by_id(id).await?.as_ref().map(job_data))
}

/// The rule action `enqueue_job`: `{"job_type", "payload"}` becomes a job
/// of that type with `payload` as its data (checked as the API checks it),
/// priority 5, due now. Its id is the action's derived id, so a repeated
/// delivery finds the job already there.
struct EnqueueJob;

impl ActionTarget for EnqueueJob {
    fn kind(&self) -> &'static str {
        crate::events::JOB
    }

    fn actions(&self) -> &'static [&'static str] {
        &["enqueue_job"]
    }

    fn act<'a>(
        &'a self,
        store: &'a Store,
        action: EntityAction<'a>,
    ) -> BoxFuture<'a, Result<String, ActionFailure>> {
        Box::pin(async move {
            let job_type = action.args["job_type"].as_str().unwrap_or_default();
            let job_type = JobType::parse(job_type)
                .map_err(|why| ActionFailure::Permanent(format!("job_type {job_type:?} {why}")))?;
            let payload = action
                .args
                .get("payload")
                .cloned()
                .unwrap_or_else(|| serde_json::json!({}));
            crate::spec::parse(job_type, &payload)
                .map_err(|problem| ActionFailure::Permanent(format!("payload: {problem}")))?;
            let data = crate::domain::JobData::parse(payload)
                .map_err(|why| ActionFailure::Permanent(format!("payload {why}")))?;
            let origin = Origin {
                actor: Actor::system(),
                created_by: format!("rule:{}", action.rule_id),
                correlation_id: action.event.correlation_id.clone(),
                depth: action.event.depth + 1,
            };
            let new = NewJob {
                job_type,
                data,
                priority: Priority::DEFAULT,
                delay: time::Duration::ZERO,
            };
            match service::create(store, origin, action.event_id, new).await {
                Ok(job) => Ok(format!("job {} queued ({job_type})", job.id)),
                Err(JobsError::Stale) => Ok(format!("job {} already queued", action.event_id)),
                Err(JobsError::Store(StoreError::Throttled)) => {
                    Err(ActionFailure::Transient("the table is busy".into()))
                }
                Err(JobsError::Store(error)) => Err(ActionFailure::storage(error)),
                Err(error) => Err(ActionFailure::Transient(error.to_string())),
            }
        })
    }
}
