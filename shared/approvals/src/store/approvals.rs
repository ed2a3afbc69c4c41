//! Approvals, their decisions, and the link items that list them.
//!
//! Items (all in the entity table):
//! - the approval: `pk = APPROVAL#<id>, sk = APPROVAL`, in `gsi1 = APPROVALS`
//!   and `gsi2 = APPROVALS#STATUS#<status>` (both sorted `APPROVAL#<id>`);
//! - its decisions beside it: `sk = DECISION#<step>#<approver>`, written
//!   with `attribute_not_exists`, so an approver decides a step once;
//! - link items (`type = approval_link`, sort key `APPROVAL#<id>`) in the
//!   workflow's partition (`WORKFLOW#<id>`), the requester's (`USER#<id>`)
//!   and, for the current step, its assignees' (`ASSIGNED#ROLE#<role>` or
//!   `ASSIGNED#USER#<id>`, for each user the step names or has assigned).
//!   Each carries `status`, `workflow_id` and `requester_id` for
//!   filtering; an assignee link also carries `decided_by`: who approved
//!   an earlier step of the request (unless its workflow waived step
//!   separation, they may not decide this one), then who of a role
//!   already approved this step.
//! - the workflow's count of open (pending or escalated) approvals:
//!   `WORKFLOW#<id> / PENDING`, which a workflow's deletion requires to be
//!   zero;
//! - its risk beside it (`sk = RISK`, `type = approval_risk`), written
//!   only by the insights analyzer, on the condition that it is absent or
//!   scored after an older change (`scored_ms`), with its event; read
//!   with the approval's partition;
//! - the deadline of the current step, while it has one
//!   (`type = escalation_due`): `pk = ESCALATION#DUE#<shard>` (0–3, from
//!   the approval's id), `sk = <due epoch ms, 13 digits>#<approval id>`,
//!   replaced when the step changes, removed when it escalates or the
//!   approval ends (see `store::escalations`).
//!
//! Access patterns:
//! - approval and its decisions: `Query pk = APPROVAL#<id>` (consistent)
//! - all approvals / of a status: `Query gsi1 APPROVALS` / `gsi2 APPROVALS#STATUS#<s>`
//! - of a workflow / of a requester: `Query WORKFLOW#<id>` / `USER#<id>`,
//!   `begins_with(sk, APPROVAL#)`, then `BatchGetItem` of the approvals
//! - waiting on a caller: `Query ASSIGNED#ROLE#<role>` and
//!   `ASSIGNED#USER#<id>`, merged, without the caller's own requests, the
//!   steps they already approved and the later steps of requests they
//!   approved an earlier step of (filter on `decided_by`), then
//!   `BatchGetItem`
//! - deadlines due by a time: `Query ESCALATION#DUE#<shard>, sk <= <ms>$`
//!   over the four shards, oldest first
//!
//! Every write is one `TransactWriteItems`: the approval at the version it
//! was read (or new), its decision, the link items it moves, the pending
//! count, and its event. So concurrent deciders serialise on the approval's
//! version: exactly one of them wins each version.

mod listing;
mod records;
mod transition;

pub use listing::{with_risks, ApprovalFilter, ApprovalSource};
pub use records::{ApprovalRecord, DecisionRecord, EscalationDue, NewApproval, RiskRecord};
pub use transition::{risk_recording, transition, Transition};

use super::{
    entity_item, from_item, keys, n, s, transaction, Entity, Expr, Store, StoreError, StoreFuture,
    Transaction,
};
use crate::domain::EntityId;
use crate::events::{Envelope, OutboxItem};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use records::{assignee_pks, owner_links};

/// The named items of an approval's filing ([`ApprovalStore::filing`]).
#[derive(Debug, Clone, Copy)]
pub struct Filing {
    /// The check that the workflow is still `ACTIVE`.
    pub workflow_active: transaction::Item,
    /// The approval's put: fails when its id is taken.
    pub approval: transaction::Item,
}

/// The access patterns of this file, as methods of the kernel's [`Store`].
pub trait ApprovalStore {
    /// The transaction that files an approval: only while its workflow is
    /// still `ACTIVE` ([`Filing::workflow_active`]), with its links, its
    /// first step's assignments, the workflow's pending count and its
    /// event.
    fn filing(
        &self,
        record: &ApprovalRecord,
        event: &Envelope,
    ) -> Result<(Transaction, Filing), StoreError>;

    /// The delete of a workflow's pending count, which fails unless no
    /// approval of it is pending; part of a workflow's deletion.
    fn clear_pending(&self, workflow: &EntityId) -> Result<TransactWriteItem, StoreError>;

    fn approval_by_id(&self, id: &EntityId) -> impl StoreFuture<Option<ApprovalRecord>>;

    /// The approval and its decisions (in the order they were made), in
    /// one consistent query of its partition.
    fn approval_with_decisions(
        &self,
        id: &EntityId,
    ) -> impl StoreFuture<Option<(ApprovalRecord, Vec<DecisionRecord>)>>;

    /// Commits `after`, the next version of `before`, with the decision
    /// that caused it (if any) and its event. Links follow: a change of
    /// status updates the workflow's and requester's links and the pending
    /// count; a change of step (or the end) replaces the step's assignments;
    /// an approval that leaves the step waiting marks its approver as done;
    /// a user newly assigned to the current step gets a link. A change of
    /// neither progress nor assignees (a payload edit) writes just the
    /// approval and the event.
    ///
    /// `before` must be the version read: a concurrent change is
    /// `ConditionFailed`; a repeated decision fails
    /// [`Transition::decision`]; an event id already in the outbox fails
    /// the last item ([`Transition::event`]).
    fn commit_transition(
        &self,
        before: &ApprovalRecord,
        after: &ApprovalRecord,
        decision: Option<&DecisionRecord>,
        event: &Envelope,
    ) -> impl StoreFuture<()>;

    /// A page of approvals, newest first, from `source` with `filter`;
    /// `AssignedTo` leaves out the caller's own requests, the steps they
    /// already approved and those they are barred from for approving an
    /// earlier step. `after` and the
    /// returned key are sort keys (`APPROVAL#<id>`).
    fn list_approvals(
        &self,
        source: &ApprovalSource,
        filter: &ApprovalFilter,
        limit: usize,
        after: Option<&str>,
    ) -> impl StoreFuture<(Vec<ApprovalRecord>, Option<String>)>;
}

impl ApprovalStore for Store {
    fn filing(
        &self,
        record: &ApprovalRecord,
        event: &Envelope,
    ) -> Result<(Transaction, Filing), StoreError> {
        let active = Expr::new("#status = :active")
            .name("#status", "status")
            .value(":active", s("ACTIVE"));
        let mut tx = Transaction::new();
        let workflow_active = tx.add(self.check(
            keys::workflow_pk(&record.workflow_id),
            keys::WORKFLOW_SK,
            &active,
        )?);
        let approval = tx.add(self.put(
            entity_item(record)?,
            Some(("attribute_not_exists(pk)", Vec::new())),
        )?);
        for pk in owner_links(record) {
            tx.add(self.put(entity_item(&record.link(pk))?, None)?);
        }
        if let Some(step) = record.current() {
            for pk in assignee_pks(step) {
                tx.add(self.put(entity_item(&record.assignee_link(pk))?, None)?);
            }
        }
        if let Some(deadline) = record.deadline() {
            tx.add(self.put(entity_item(&deadline)?, None)?);
        }
        tx.add(bump_pending(self, &record.workflow_id, 1)?);
        tx.add(self.put(OutboxItem::new(event)?.to_item()?, None)?);
        Ok((
            tx,
            Filing {
                workflow_active,
                approval,
            },
        ))
    }

    fn clear_pending(&self, workflow: &EntityId) -> Result<TransactWriteItem, StoreError> {
        self.delete(
            keys::workflow_pk(workflow),
            keys::PENDING_SK,
            Some(&Expr::new("attribute_not_exists(pk) OR pending = :zero").value(":zero", n(0))),
        )
    }

    async fn approval_by_id(&self, id: &EntityId) -> Result<Option<ApprovalRecord>, StoreError> {
        self.get(keys::approval_pk(id), keys::APPROVAL_SK).await
    }

    async fn approval_with_decisions(
        &self,
        id: &EntityId,
    ) -> Result<Option<(ApprovalRecord, Vec<DecisionRecord>)>, StoreError> {
        let mut approval: Option<ApprovalRecord> = None;
        let mut risk: Option<RiskRecord> = None;
        let mut decisions: Vec<DecisionRecord> = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(keys::approval_pk(id)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| super::classify(e, "Query"))?;
            for item in output.items.unwrap_or_default() {
                match item.get("sk") {
                    Some(AttributeValue::S(sk)) if sk == keys::APPROVAL_SK => {
                        approval = Some(from_item(item)?);
                    }
                    Some(AttributeValue::S(sk)) if sk.starts_with(keys::DECISION_SK_PREFIX) => {
                        decisions.push(from_item(item)?);
                    }
                    Some(AttributeValue::S(sk)) if sk == keys::RISK_SK => {
                        risk = Some(from_item(item)?);
                    }
                    _ => {}
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        decisions.sort_by_key(|d| (d.decided_at, d.step));
        if let Some(approval) = approval.as_mut() {
            approval.risk = risk.map(|r| r.risk);
        }
        Ok(approval.map(|a| (a, decisions)))
    }

    async fn commit_transition(
        &self,
        before: &ApprovalRecord,
        after: &ApprovalRecord,
        decision: Option<&DecisionRecord>,
        event: &Envelope,
    ) -> Result<(), StoreError> {
        let (tx, named) = transition(self, before, after, decision, event)?;
        match self.commit(tx).await {
            Err(error) if error.failed(named.approval) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }

    async fn list_approvals(
        &self,
        source: &ApprovalSource,
        filter: &ApprovalFilter,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<ApprovalRecord>, Option<String>), StoreError> {
        listing::list_approvals(self, source, filter, limit, after).await
    }
}

/// Moves a workflow's count of pending approvals by `by`.
fn bump_pending(
    store: &Store,
    workflow: &EntityId,
    by: i64,
) -> Result<TransactWriteItem, StoreError> {
    store.update(
        keys::workflow_pk(workflow),
        keys::PENDING_SK,
        &Expr::new("ADD pending :by SET #type = :type")
            .name("#type", "type")
            .value(":by", n(by))
            .value(":type", s("pending_count")),
    )
}
