//! Workflows.
//!
//! Access patterns:
//! - workflow by id: `GetItem pk=WORKFLOW#<id>, sk=WORKFLOW`
//! - all workflows, newest first: `Query gsi1 gsi1pk=WORKFLOWS` (descending)
//! - workflows of a status, newest first: `Query gsi2 gsi2pk=WORKFLOWS#STATUS#<status>`
//! - deletion: `TransactWriteItems` of the workflow (`version = :expected`),
//!   its pending-approval count (absent or zero) and its event
//!
//! Every write carries its event (outbox) and, after creation, the version
//! it expects.

use super::{
    from_item, keys, n, to_item, transaction, Expr, Item, PageQuery, Store, StoreError, Transaction,
};
use crate::domain::{Description, EntityId, Step, WorkflowName, WorkflowStatus};
use crate::events::{Envelope, OutboxItem};
use crate::store::approvals::ApprovalStore;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRecord {
    pk: String,
    sk: String,
    #[serde(rename = "type")]
    item_type: String,
    gsi1pk: String,
    gsi1sk: String,
    gsi2pk: String,
    gsi2sk: String,
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
    pub created_by: EntityId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl WorkflowRecord {
    pub fn new(
        name: WorkflowName,
        description: Description,
        steps: Vec<Step>,
        created_by: EntityId,
        now: OffsetDateTime,
    ) -> Self {
        let id = EntityId::new();
        let mut record = Self {
            pk: keys::workflow_pk(&id),
            sk: keys::WORKFLOW_SK.into(),
            item_type: "workflow".into(),
            gsi1pk: keys::WORKFLOWS_GSI1PK.into(),
            gsi1sk: keys::workflow_sort(&id),
            gsi2pk: String::new(),
            gsi2sk: keys::workflow_sort(&id),
            id,
            name,
            description,
            status: WorkflowStatus::Draft,
            steps,
            allow_same_approver_across_steps: false,
            created_by,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        record.reindex();
        record
    }

    /// Recomputes index keys after a change of status.
    fn reindex(&mut self) {
        self.gsi2pk = keys::workflows_by_status_gsi2pk(self.status);
    }

    fn item(&self) -> Result<Item, StoreError> {
        to_item(self)
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
    fn create_workflow(
        &self,
        record: &WorkflowRecord,
        event: &Envelope,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;

    fn workflow_by_id(
        &self,
        id: &EntityId,
    ) -> impl std::future::Future<Output = Result<Option<WorkflowRecord>, StoreError>> + Send;

    /// Replaces a workflow still at its current version (advancing version
    /// and `updated_at`), with its event.
    fn update_workflow(
        &self,
        record: &mut WorkflowRecord,
        now: OffsetDateTime,
        event: &Envelope,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;

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
    ) -> impl std::future::Future<Output = Result<(Vec<WorkflowRecord>, Option<Item>), StoreError>> + Send;
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
        let expected = record.version;
        record.version += 1;
        record.updated_at = now;
        record.reindex();
        self.replace_versioned(record.item()?, expected, Some(event))
            .await
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
        let query = match status {
            None => PageQuery {
                index: Some("gsi1"),
                partition_attribute: "gsi1pk",
                partition: keys::WORKFLOWS_GSI1PK.into(),
                limit,
                start,
            },
            Some(status) => PageQuery {
                index: Some("gsi2"),
                partition_attribute: "gsi2pk",
                partition: keys::workflows_by_status_gsi2pk(status),
                limit,
                start,
            },
        };
        let (items, next) = self.query_page(query).await?;
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
