//! The deadlines of approvals' open steps, read by due time: what the
//! escalation sweep works from. Keys are in the `//!` of
//! `store::approvals`; the deadlines are written and removed by the
//! approvals' own transactions, so a deadline listed here may only be
//! stale (its approval moved on), never missing.

use super::approvals::EscalationDue;

use super::{from_item, keys, Entity, Partition, SortRange, Store, StoreError, StoreFuture};

pub trait EscalationStore {
    /// Up to `limit` deadlines due at or before `millis` (epoch
    /// milliseconds), oldest first, across every shard.
    fn due_escalations(&self, millis: i64, limit: usize) -> impl StoreFuture<Vec<EscalationDue>>;

    /// Removes a deadline its approval no longer has: only if it still is
    /// the one for the same step (a later step's deadline may fall due in
    /// the same millisecond, under the same key).
    fn forget_deadline(&self, deadline: &EscalationDue) -> impl StoreFuture<()>;
}

impl EscalationStore for Store {
    async fn due_escalations(
        &self,
        millis: i64,
        limit: usize,
    ) -> Result<Vec<EscalationDue>, StoreError> {
        let partitions: Vec<Partition> = (0..keys::ESCALATION_SHARDS)
            .map(|shard| Partition {
                index: None,
                partition_attribute: "pk",
                sort_attribute: "sk",
                partition: keys::escalation_due_pk(shard),
            })
            .collect();
        let range = SortRange {
            low: "0".to_owned(),
            high: keys::escalation_due_until(millis),
        };
        let (items, _) = self
            .query_range(&partitions, &range, None, limit, None, false)
            .await?;
        items.into_iter().map(from_item).collect()
    }

    async fn forget_deadline(&self, deadline: &EscalationDue) -> Result<(), StoreError> {
        let keys = deadline.keys();
        let deleted = self
            .client()
            .delete_item()
            .table_name(self.table())
            .key("pk", super::s(keys.pk))
            .key("sk", super::s(keys.sk))
            .condition_expression("step = :step")
            .expression_attribute_values(":step", super::n(deadline.step))
            .send()
            .await
            .map_err(|e| super::classify(e, "DeleteItem"));
        match deleted {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(error) => Err(error),
        }
    }
}
