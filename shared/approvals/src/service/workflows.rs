//! Workflows' use cases: create, change and delete (admins; the routes
//! check the permission), and reading one as a caller may see it. Steps
//! and step separation change only while a workflow is a DRAFT; an
//! archived workflow never changes; a workflow with pending approvals is
//! never deleted.

use super::{ApprovalsError, ExpectedVersion};
use crate::auth::Principal;
use crate::clock;
use crate::domain::{Description, EntityId, Step, WorkflowName, WorkflowStatus, WorkflowType};
use crate::events::{self, Actor};
use crate::permissions;
use crate::store::workflows::{WorkflowRecord, WorkflowStore};
use crate::store::{Store, StoreError};

/// A workflow to create (always as a DRAFT).
#[derive(Debug, Clone)]
pub struct NewWorkflow {
    pub name: WorkflowName,
    pub description: Description,
    pub steps: Vec<Step>,
    pub allow_same_approver_across_steps: bool,
    pub workflow_type: Option<WorkflowType>,
}

/// The fields a change sets; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct WorkflowChanges {
    pub name: Option<WorkflowName>,
    pub description: Option<Description>,
    pub status: Option<WorkflowStatus>,
    pub steps: Option<Vec<Step>>,
    pub allow_same_approver_across_steps: Option<bool>,
    /// `Some(None)` removes the type.
    pub workflow_type: Option<Option<WorkflowType>>,
}

fn stale() -> ApprovalsError {
    ApprovalsError::Conflict("the workflow was changed concurrently; reload and retry".into())
}

fn conflict_on_stale(error: StoreError) -> ApprovalsError {
    match error {
        StoreError::ConditionFailed => stale(),
        other => other.into(),
    }
}

/// Workflow `id`, if `principal` may see it: admins see every workflow,
/// others only active ones.
pub async fn workflow_for(
    store: &Store,
    principal: &Principal,
    id: &EntityId,
) -> Result<WorkflowRecord, ApprovalsError> {
    let record = store
        .workflow_by_id(id)
        .await?
        .ok_or(ApprovalsError::NotFound("workflow"))?;
    if record.status != WorkflowStatus::Active && !principal.can(permissions::WORKFLOWS_READ_ALL) {
        return Err(ApprovalsError::NotFound("workflow"));
    }
    Ok(record)
}

/// Whether the workflow `id` is visible to everyone signed in: it exists
/// and is ACTIVE. An id that is not a workflow's is not visible.
pub async fn visible_to_all(store: &Store, id: &str) -> Result<bool, StoreError> {
    let Ok(id) = EntityId::parse(id) else {
        return Ok(false);
    };
    let workflow = store.workflow_by_id(&id).await?;
    Ok(workflow.is_some_and(|w| w.status == WorkflowStatus::Active))
}

#[tracing::instrument(skip_all, fields(user = %principal.user_id))]
pub async fn create(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    new: NewWorkflow,
) -> Result<WorkflowRecord, ApprovalsError> {
    let mut record = WorkflowRecord::new(
        new.name,
        new.description,
        new.steps,
        principal.user_id,
        clock::now(),
    );
    record.allow_same_approver_across_steps = new.allow_same_approver_across_steps;
    record.workflow_type = new.workflow_type;
    let event = events::workflow_created(&record, Actor::from(principal), correlation_id);
    store.create_workflow(&record, &event).await?;
    Ok(record)
}

/// Applies `changes` to what `record` is, under the workflow's rules.
fn changed(
    mut record: WorkflowRecord,
    changes: WorkflowChanges,
) -> Result<WorkflowRecord, ApprovalsError> {
    if record.status == WorkflowStatus::Archived {
        return Err(ApprovalsError::Conflict(
            "an archived workflow cannot change".into(),
        ));
    }
    if let Some(steps) = changes.steps {
        if record.status != WorkflowStatus::Draft {
            return Err(ApprovalsError::Conflict(
                "steps can only change while the workflow is a DRAFT".into(),
            ));
        }
        record.steps = steps;
    }
    if let Some(allow) = changes.allow_same_approver_across_steps {
        if record.status != WorkflowStatus::Draft {
            return Err(ApprovalsError::Conflict(
                "allow_same_approver_across_steps can only change while the workflow is a DRAFT"
                    .into(),
            ));
        }
        record.allow_same_approver_across_steps = allow;
    }
    if let Some(name) = changes.name {
        record.name = name;
    }
    // A label, not a rule of the workflow: it may change while it is active.
    if let Some(workflow_type) = changes.workflow_type {
        record.workflow_type = workflow_type;
    }
    if let Some(description) = changes.description {
        record.description = description;
    }
    if let Some(to) = changes.status {
        record.status = record
            .status
            .transition(to)
            .map_err(ApprovalsError::Conflict)?;
        if record.status == WorkflowStatus::Active && record.steps.is_empty() {
            return Err(ApprovalsError::Invalid {
                field: "steps",
                message: "an active workflow needs at least one step".into(),
            });
        }
    }
    Ok(record)
}

#[tracing::instrument(skip_all, fields(user = %principal.user_id, workflow = %id))]
pub async fn update(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    id: &EntityId,
    changes: WorkflowChanges,
    expected: ExpectedVersion,
) -> Result<WorkflowRecord, ApprovalsError> {
    let before = workflow_for(store, principal, id).await?;
    expected.check(before.version, "workflow")?;
    let mut record = changed(before.clone(), changes)?;
    let now = clock::now();
    let mut after = record.clone();
    after.version += 1;
    after.updated_at = now;
    let event = events::workflow_changed(&before, &after, Actor::from(principal), correlation_id);
    store
        .update_workflow(&mut record, now, &event)
        .await
        .map_err(conflict_on_stale)?;
    Ok(record)
}

#[tracing::instrument(skip_all, fields(user = %principal.user_id, workflow = %id))]
pub async fn delete(
    store: &Store,
    principal: &Principal,
    correlation_id: &str,
    id: &EntityId,
    expected: ExpectedVersion,
) -> Result<(), ApprovalsError> {
    let record = workflow_for(store, principal, id).await?;
    expected.check(record.version, "workflow")?;
    let event = events::workflow_deleted(&record, Actor::from(principal), correlation_id);
    let (tx, deletion) = store.deletion(&record, &event)?;
    match store.commit(tx).await {
        Err(error) if error.failed(deletion.no_pending) => Err(ApprovalsError::Conflict(
            "the workflow has pending approvals; decide or cancel them first".into(),
        )),
        Err(error) if error.failed(deletion.workflow) => Err(stale()),
        Err(error) => Err(conflict_on_stale(error)),
        Ok(()) => Ok(()),
    }
}
