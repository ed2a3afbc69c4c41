//! Workflows.
//!
//! Access patterns:
//! - workflow by id: `GetItem pk=WORKFLOW#<id>, sk=WORKFLOW`
//! - all workflows, newest first: `Query gsi1 gsi1pk=WORKFLOWS` (descending)
//! - workflows of a status, newest first: `Query gsi2 gsi2pk=WORKFLOWS#STATUS#<status>`
//! - of a type: either of the two, with a filter on `workflow_type`
//! - deletion: `TransactWriteItems` of the workflow (`version = :expected`),
//!   its pending-approval count (absent or zero) and its event
//!
//! Every write carries its event (outbox) and, after creation, the version
//! it expects.

use super::{
    from_item, keys, n, s, transaction, Entity, Expr, Item, Keys, Partition, Store, StoreError,
    StoreFuture, Transaction,
};
use crate::domain::{Description, EntityId, Step, WorkflowName, WorkflowStatus, WorkflowType};
use crate::events::{Envelope, OutboxItem};
use crate::store::approvals::ApprovalStore;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRecord {
    pub id: EntityId,
    pub name: WorkflowName,
    pub description: Description,
    pub status: WorkflowStatus,
    pub steps: Vec<Step>,
    /// Whether one person may decide several steps of a request (the
    /// opt-out of step separation); false unless set, and for workflows
    /// stored before it existed.
    #[serde(default)]
    pub allow_same_approver_across_steps: bool,
    /// What kind of request it decides, if it says.
    #[serde(default)]
    pub workflow_type: Option<WorkflowType>,
    pub created_by: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

opsflow_platform::versioned!(WorkflowRecord);

impl WorkflowRecord {
    pub fn new(
        name: WorkflowName,
        description: Description,
        steps: Vec<Step>,
        created_by: EntityId,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: EntityId::new(),
            name,
            description,
            status: WorkflowStatus::Draft,
            steps,
            allow_same_approver_across_steps: false,
            workflow_type: None,
            created_by,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// `gsi1`: every workflow; `gsi2`: the workflows of its status. Both sort
/// by id (= creation): [`keys::workflow_sort`] is its `pk`.
impl Entity for WorkflowRecord {
    const TYPE: &'static str = "workflow";

    fn keys(&self) -> Keys {
        let by_status = keys::workflows_by_status_gsi2pk(self.status);
        let pk = keys::workflow_pk(&self.id);
        Keys::by_pk(pk, keys::WORKFLOW_SK, keys::WORKFLOWS_GSI1PK, by_status)
    }
}

/// The named items of a workflow's deletion ([`WorkflowStore::deletion`]).
#[derive(Debug, Clone, Copy)]
pub struct Deletion {
    /// The workflow at the version read: fails when another writer moved it.
    pub workflow: transaction::Item,
    /// The guard that none of its approvals is pending.
    pub no_pending: transaction::Item,
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait WorkflowStore {
    fn create_workflow(&self, record: &WorkflowRecord, event: &Envelope) -> impl StoreFuture<()>;

    fn workflow_by_id(&self, id: &EntityId) -> impl StoreFuture<Option<WorkflowRecord>>;

    /// Replaces a workflow still at its current version (advancing version
    /// and `updated_at`), with its event.
    fn update_workflow(
        &self,
        record: &mut WorkflowRecord,
        now: OffsetDateTime,
        event: &Envelope,
    ) -> impl StoreFuture<()>;

    /// The transaction that deletes a workflow still at its version, with
    /// its event, only if none of its approvals is pending (otherwise
    /// [`Deletion::no_pending`] fails).
    fn deletion(
        &self,
        record: &WorkflowRecord,
        event: &Envelope,
    ) -> Result<(Transaction, Deletion), StoreError>;

    /// A page of workflows, newest first, optionally of one status.
    fn list_workflows(
        &self,
        status: Option<WorkflowStatus>,
        limit: i32,
        start: Option<Item>,
    ) -> impl StoreFuture<(Vec<WorkflowRecord>, Option<Item>)>;

    /// A page of the workflows of one type (of `status`, if given), newest
    /// first: the same key as [`WorkflowStore::list_workflows`], filtered
    /// on the type. `after` and the returned key are index sort keys.
    fn list_workflows_of_type(
        &self,
        status: Option<WorkflowStatus>,
        workflow_type: &WorkflowType,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<WorkflowRecord>, Option<String>)>;
}

impl WorkflowStore for Store {
    async fn create_workflow(
        &self,
        record: &WorkflowRecord,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        self.insert_with_event(record.item()?, event).await
    }

    async fn workflow_by_id(&self, id: &EntityId) -> Result<Option<WorkflowRecord>, StoreError> {
        self.get(keys::workflow_pk(id), keys::WORKFLOW_SK).await
    }

    async fn update_workflow(
        &self,
        record: &mut WorkflowRecord,
        now: OffsetDateTime,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        self.replace_next_version(record, now, Some(event)).await
    }

    fn deletion(
        &self,
        record: &WorkflowRecord,
        event: &Envelope,
    ) -> Result<(Transaction, Deletion), StoreError> {
        let version = Expr::new("version = :expected").value(":expected", n(record.version));
        let mut tx = Transaction::new();
        let workflow = tx.add(self.delete(
            keys::workflow_pk(&record.id),
            keys::WORKFLOW_SK,
            Some(&version),
        )?);
        let no_pending = tx.add(self.clear_pending(&record.id)?);
        tx.add(self.put(OutboxItem::new(event)?.to_item()?, None)?);
        Ok((
            tx,
            Deletion {
                workflow,
                no_pending,
            },
        ))
    }

    async fn list_workflows(
        &self,
        status: Option<WorkflowStatus>,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<WorkflowRecord>, Option<Item>), StoreError> {
        let by = status.map(keys::workflows_by_status_gsi2pk);
        self.page_listed(keys::WORKFLOWS_GSI1PK, by, limit, start)
            .await
    }

    async fn list_workflows_of_type(
        &self,
        status: Option<WorkflowStatus>,
        workflow_type: &WorkflowType,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<WorkflowRecord>, Option<String>), StoreError> {
        let partition = match status {
            None => Partition {
                index: Some("gsi1"),
                partition_attribute: "gsi1pk",
                sort_attribute: "gsi1sk",
                partition: keys::WORKFLOWS_GSI1PK.to_owned(),
            },
            Some(status) => Partition {
                index: Some("gsi2"),
                partition_attribute: "gsi2pk",
                sort_attribute: "gsi2sk",
                partition: keys::workflows_by_status_gsi2pk(status),
            },
        };
        let of_type = Expr::new("workflow_type = :type").value(":type", s(workflow_type.as_str()));
        let (items, next) = self
            .query_merged(
                std::slice::from_ref(&partition),
                keys::WORKFLOW_SORT_PREFIX,
                Some(&of_type),
                limit,
                after,
                true,
            )
            .await?;
        let records = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok((records, next))
    }
}

/// The cursor scope of a workflow listing.
pub fn list_scope(status: Option<WorkflowStatus>) -> String {
    match status {
        None => "workflows".into(),
        Some(status) => format!("workflows:status={status}"),
    }
}
